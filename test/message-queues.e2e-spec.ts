import { envForChild } from '@sluice/core';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import * as amqp from 'amqplib';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, scaled, spawnTimeout } from './helpers/eventually';
import { waitForRun } from './helpers/runs';
import { startTestApp, TestApp } from './helpers/test-app';
import { query } from './helpers/test-env';

const ROOT = join(__dirname, '..');
const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };

/** One message-queue type as the scenarios drive it: where its messages go, and its connector body. */
interface QueueSource {
  type: 'amqp' | 'nats';
  /** The config field that sets how many messages make one stored batch. */
  batchField: 'prefetch' | 'batchSize';
  /** Secret values of the connector: they must appear in no response body and no log line. */
  secrets: string[];
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A fresh queue or stream holding `ids`, each a message whose id is that string. */
  fill(ids: string[]): Promise<void>;
  /** The connector's create body for the queue last filled. */
  connector(settings: Record<string, unknown>): Record<string, unknown>;
  /** The same connector aimed at a queue or stream that does not exist. */
  missing(): Record<string, unknown>;
  /** The connector with a wrong password, where the server checks one (the machine's NATS does not). */
  wrongCredentials?(): Record<string, unknown>;
}

function rabbitSource(): QueueSource {
  const user = `sluice_e2e_${randomUUID().slice(0, 8)}`;
  const password = `amqp-secret-${randomUUID()}`;
  let admin: amqp.ChannelModel;
  let channel: amqp.ConfirmChannel;
  const queues: string[] = [];
  const ctl = (...args: string[]) => execFileSync('rabbitmqctl', args, { stdio: 'ignore' });
  return {
    type: 'amqp',
    batchField: 'prefetch',
    secrets: [password],
    async setUp() {
      // A user of its own, so that the password is a value no other line could contain.
      ctl('add_user', user, password);
      ctl('set_permissions', '-p', '/', user, '.*', '.*', '.*');
      admin = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
      channel = await admin.createConfirmChannel();
      channel.on('error', () => undefined);
    },
    async tearDown() {
      for (const queue of queues) await channel?.deleteQueue(queue).catch(() => undefined);
      await admin?.close();
      ctl('delete_user', user);
    },
    async fill(ids) {
      const queue = `sluice-e2e-${randomUUID()}`;
      await channel.assertQueue(queue, { durable: true });
      queues.push(queue);
      for (const id of ids)
        channel.sendToQueue(queue, Buffer.from(`body of ${id}`), { messageId: id, persistent: true });
      await channel.waitForConfirms();
    },
    connector: (settings) => ({
      type: 'amqp',
      config: { url: 'amqp://127.0.0.1:5672/', queue: queues[queues.length - 1], idleMs: 500, ...settings },
      authConfig: { username: user, password },
    }),
    missing: () => ({
      type: 'amqp',
      config: { host: '127.0.0.1', queue: `sluice-missing-${randomUUID()}` },
      authConfig: { username: user, password },
    }),
    wrongCredentials: () => ({
      type: 'amqp',
      config: { host: '127.0.0.1', queue: queues[0] },
      authConfig: { username: user, password: `${password}-wrong` },
    }),
  };
}

function natsSource(): QueueSource {
  // The machine's NATS has no authorization: a token is accepted and ignored, yet it is still a
  // secret Sluice must keep to itself.
  const token = `nats-token-${randomUUID()}`;
  let nc: Awaited<ReturnType<typeof natsConnect>>;
  const streams: string[] = [];
  return {
    type: 'nats',
    batchField: 'batchSize',
    secrets: [token],
    async setUp() {
      nc = await natsConnect({ servers: '127.0.0.1:4222' });
    },
    async tearDown() {
      const jsm = await jetstreamManager(nc);
      for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
      await nc?.close();
    },
    async fill(ids) {
      const stream = `sluice_e2e_${randomUUID().replace(/-/g, '')}`;
      await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${stream}.>`] });
      streams.push(stream);
      const js = jetstream(nc);
      const h = natsHeaders();
      h.set('Content-Type', 'text/plain');
      // Published in windows so the stream acknowledges each one, without 2,500 round trips in a row.
      for (let i = 0; i < ids.length; i += 250) {
        await Promise.all(
          ids.slice(i, i + 250).map((id) => js.publish(`${stream}.events`, `body of ${id}`, { msgID: id, headers: h })),
        );
      }
    },
    connector: (settings) => ({
      type: 'nats',
      config: {
        servers: ['127.0.0.1:4222'],
        stream: streams[streams.length - 1],
        consumer: 'sluice',
        ackWaitMs: 2_000,
        idleMs: 500,
        ...settings,
      },
      authConfig: { token },
    }),
    missing: () => ({
      type: 'nats',
      config: { servers: ['127.0.0.1:4222'], stream: 'sluice_no_such_stream', consumer: 'sluice' },
      authConfig: { token },
    }),
  };
}

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe.each([rabbitSource(), natsSource()])('$type: batch polling into documents (e2e, built worker)', (source) => {
  let t: TestApp;
  let token: string;
  let worker: ChildProcess | undefined;
  const workDir = mkdtempSync(join(tmpdir(), 'sluice-mq-'));
  let workerOutput = '';
  const bodies: string[] = [];

  const startWorker = () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/apps/worker/src/main.js')], {
      cwd: workDir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...envForChild(t.env), LOG_LEVEL: 'debug' },
    });
    child.stdout!.on('data', (d) => (workerOutput += d));
    child.stderr!.on('data', (d) => (workerOutput += d));
    return child;
  };

  const post = async (path: string, body?: unknown) => {
    const res = await t.http.post(path, body, { token });
    bodies.push(JSON.stringify(res.body));
    return res;
  };
  const get = async (path: string) => {
    const res = await t.http.get(path, { token });
    bodies.push(JSON.stringify(res.body));
    return res;
  };

  const sync = async (id: string) => {
    const started = await post(`/api/v1/connectors/${id}/sync`);
    expect(started.status).toBe(202);
    const run = await waitForRun(t.http, token, id, started.body.id, 120_000);
    expect({ status: run.status, error: run.error ?? null }).toEqual({ status: 'succeeded', error: null });
    return run;
  };

  const stored = async (id: string) => {
    const rows = await query<{ external_id: string; status: string }>(
      t.env.DATABASE_URL!,
      'SELECT external_id, status FROM documents WHERE connector_id = $1',
      [id],
    );
    return rows;
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-if-needed.js')], { cwd: ROOT, stdio: 'ignore' });
    await source.setUp();
    t = await startTestApp(
      {
        SAFE_NETWORK_ALLOW: '127.0.0.1',
        QUEUE_LOCK_DURATION_MS: '2000',
        QUEUE_STALLED_INTERVAL_MS: '1000',
        // The crash test polls the run every 25 ms.
        RATE_LIMIT_PER_MINUTE: '100000',
      },
      { captureLogs: true },
    );
    token = await t.http.login(ADMIN.email, ADMIN.password);
    worker = startWorker();
  }, 180_000);
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await t?.close();
    await source.tearDown();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('probes: a working queue succeeds, a missing one fails naming it', async () => {
    await source.fill(ids('probe', 2));
    const ok = await post('/api/v1/connectors/test-connection', source.connector({}));
    expect({ status: ok.status, body: ok.status === 200 ? null : ok.body }).toEqual({ status: 200, body: null });
    expect(ok.body).toMatchObject({ success: true, details: { messages: 2 } });
    const missing = await post('/api/v1/connectors/test-connection', source.missing());
    expect(missing.body).toMatchObject({ success: false, message: expect.stringMatching(/does not exist/) });
    if (source.wrongCredentials) {
      const wrong = await post('/api/v1/connectors/test-connection', source.wrongCredentials());
      expect(wrong.body).toMatchObject({
        success: false,
        message: expect.stringMatching(/refused the username or password/),
      });
    }
  });

  it('is listed by GET /connector-types as an append-mode stream type', async () => {
    const types = (await get('/api/v1/connector-types')).body.data as Array<Record<string, unknown>>;
    expect(types.find((x) => x.type === source.type)).toMatchObject({
      category: 'stream',
      readiness: 'ready',
      capabilities: ['test', 'discover'],
      syncMode: 'append',
    });
    expect(types.find((x) => x.type === 'folder')).toMatchObject({ syncMode: 'snapshot' });
  });

  it(
    'stores 2,500 messages as 1,000 + 1,000 + 500 documents over three syncs, each exactly once',
    async () => {
      const published = ids('order', 2_500);
      await source.fill(published);
      const created = await post('/api/v1/connectors', {
        name: `${source.type} orders`,
        ...source.connector({ maxMessages: 1_000 }),
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const tested = await post(`/api/v1/connectors/${id}/test`);
      expect(tested.body).toMatchObject({ success: true, status: 'active' });

      const counts = [];
      for (let i = 0; i < 3; i++) {
        const run = await sync(id);
        counts.push([run.progress.processed, run.progress.created, run.progress.deleted]);
        expect((await stored(id)).length).toBe(1_000 * Math.min(i + 1, 2.5));
      }
      expect(counts).toEqual([
        [1_000, 1_000, 0],
        [1_000, 1_000, 0],
        [500, 500, 0],
      ]);
      const rows = await stored(id);
      expect(rows.map((r) => r.external_id).sort()).toEqual([...published].sort());
      expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['synced']));

      // A fourth sync finds the queue drained: nothing new, nothing deleted, and it ends early.
      const empty = await sync(id);
      expect(empty.progress).toMatchObject({ processed: 0, created: 0, deleted: 0 });
      expect((await stored(id)).length).toBe(2_500);

      // The content of a message document is its body.
      const docs = await get(`/api/v1/connectors/${id}/documents?q=order-1234&limit=5`);
      const doc = docs.body.data.find((d: { externalId: string }) => d.externalId === 'order-1234');
      expect(doc).toMatchObject({ kind: 'record', status: 'synced' });
      const content = await get(`/api/v1/connectors/${id}/documents/${doc.id}/content`);
      expect(content.status).toBe(200);
      expect(content.body.content).toBe('body of order-1234');

      const shown = await get(`/api/v1/connectors/${id}`);
      expect(shown.body.authConfigured).toBe(true);
    },
    scaled(240_000),
  );

  it(
    'loses none and duplicates none when the worker is killed in the middle of a batch',
    async () => {
      const published = ids('crash', 3_000);
      await source.fill(published);
      const id = (
        await post('/api/v1/connectors', {
          name: `${source.type} crash`,
          ...source.connector({ maxMessages: 1_000, [source.batchField]: 20 }),
        })
      ).body.id as string;
      const started = await post(`/api/v1/connectors/${id}/sync`);
      const runUrl = `/api/v1/connectors/${id}/runs/${started.body.id}`;
      const exited = new Promise((r) => worker!.once('exit', r));
      const running = await eventually(
        async () => (await t.http.get(runUrl, { token })).body,
        (run) => run.status === 'running' && run.progress.processed > 0,
        60_000,
        { intervalMs: 25, what: 'the worker to be in the middle of the sync' },
      );
      worker!.kill('SIGKILL');
      await exited;
      expect(running.progress.processed).toBeLessThan(1_000);

      // A new worker takes the stalled run over; more syncs follow until the queue is drained.
      worker = startWorker();
      const resumed = await waitForRun(t.http, token, id, started.body.id, 120_000);
      expect(resumed.status).toBe('succeeded');
      for (let round = 0; round < 8 && (await stored(id)).length < published.length; round++) await sync(id);
      // Whatever the broker still redelivers after the kill upserts as unchanged.
      const last = await sync(id);
      expect(last.progress.created).toBe(0);

      const [counts] = await query<{ total: number; distinct: number }>(
        t.env.DATABASE_URL!,
        'SELECT count(*)::int AS total, count(DISTINCT external_id)::int AS distinct FROM documents WHERE connector_id = $1',
        [id],
      );
      expect(counts).toEqual({ total: published.length, distinct: published.length });
      expect((await stored(id)).map((r) => r.external_id).sort()).toEqual([...published].sort());
    },
    spawnTimeout(2, 300_000),
  );

  it('keeps its secrets out of every response body and log line', () => {
    expect(bodies.length).toBeGreaterThan(5);
    expect(t.logs.length).toBeGreaterThan(0);
    expect(workerOutput.length).toBeGreaterThan(0);
    for (const secret of source.secrets) {
      expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
      expect(t.logs.filter((line) => line.includes(secret))).toEqual([]);
      expect(workerOutput.includes(secret)).toBe(false);
    }
  });
});
