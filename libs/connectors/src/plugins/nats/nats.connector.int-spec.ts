import { EnvDto, SafeNetwork, SafeNetworkError } from '@sluice/core';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../../../test/helpers/eventually';
import { contextFor, CountingListener } from '../../../../../test/helpers/connector-testing';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import type { ConnectorContext, DiscoveredItem } from '../../plugin/connector-plugin';
import { CONNECTOR_PLUGIN } from '../../plugin/connector-plugin.decorator';
import { NatsConnector, type NatsConfig } from './nats.connector';

type Nats = Awaited<ReturnType<typeof connect>>;

async function freePort(): Promise<number> {
  const listener = await new CountingListener().start();
  await listener.stop();
  return listener.port;
}

// The machine's NATS server with JetStream (127.0.0.1:4222, no auth); each test uses streams of its own.
describe('NatsConnector (NATS JetStream on 127.0.0.1:4222)', () => {
  const connector = new NatsConnector(Object.assign(new EnvDto(), { CONNECTOR_PROBE_TIMEOUT_MS: 3_000 }));
  let nc: Nats;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  const config = (overrides: Record<string, unknown> = {}, auth: Record<string, unknown> = {}): NatsConfig =>
    connector.parseConfig(
      { servers: ['127.0.0.1:4222'], stream: 'unused', consumer: 'sluice', idleMs: 50, ...overrides },
      auth,
    );
  const context = (overrides: Record<string, unknown> = {}, auth: Record<string, unknown> = {}) =>
    contextFor(config(overrides, auth), { connectorId: 'conn_nats' });

  async function freshStream(): Promise<string> {
    const name = `sluice_test_${randomUUID().replace(/-/g, '')}`;
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    streams.push(name);
    return name;
  }

  async function publish(stream: string, count: number, withIds = true): Promise<void> {
    const js = jetstream(nc);
    for (let i = 0; i < count; i++) {
      await js.publish(`${stream}.orders`, `message ${i}`, withIds ? { msgID: `m-${i}` } : undefined);
    }
  }

  /** Messages the consumer has not delivered yet plus those delivered but not acknowledged. */
  async function outstanding(stream: string, consumer = 'sluice'): Promise<number> {
    const info = await jsm.consumers.info(stream, consumer);
    return info.num_pending + info.num_ack_pending;
  }

  async function walk(
    ctx: ConnectorContext<NatsConfig>,
    onBatch: (batch: DiscoveredItem[], index: number) => 'next' | 'stop' = () => 'next',
  ): Promise<DiscoveredItem[][]> {
    const batches: DiscoveredItem[][] = [];
    for await (const batch of connector.discover(ctx)) {
      batches.push(batch);
      if (onBatch(batch, batches.length - 1) === 'stop') break;
    }
    return batches;
  }

  let contractStream: string;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    jsm = await jetstreamManager(nc);
    contractStream = await freshStream();
    await publish(contractStream, 3);
  });
  afterAll(async () => {
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  it('registers as the append-mode nats type with test and discover', () => {
    expect(Reflect.getMetadata(CONNECTOR_PLUGIN, NatsConnector)).toMatchObject({
      type: 'nats',
      category: 'stream',
      capabilities: ['test', 'discover'],
      syncMode: 'append',
    });
  });

  describe('parseConfig', () => {
    it('fills the defaults and reads host:port', () => {
      expect(
        connector.parseConfig(
          { servers: ['nats.example.com', 'nats://10.0.0.2:4333'], stream: 'S', consumer: 'c' },
          {},
        ),
      ).toEqual({
        servers: [
          { host: 'nats.example.com', port: 4222 },
          { host: '10.0.0.2', port: 4333 },
        ],
        stream: 'S',
        consumer: 'c',
        subject: null,
        batchSize: 100,
        ackWaitMs: 30_000,
        maxMessages: 1000,
        waitTimeoutMs: 15_000,
        idleMs: 1000,
        token: '',
        username: '',
        password: '',
      });
    });

    it.each([
      [{ servers: ['user:pw@nats.example.com:4222'] }, {}, 'config.servers.0'],
      [{ servers: ['nats.example.com:99999'] }, {}, 'config.servers.0'],
      [{ waitTimeoutMs: 10 }, {}, 'config.waitTimeoutMs'],
      [{}, { token: 't', username: 'u' }, 'authConfig.token'],
      [{}, { password: 'p' }, 'authConfig.username'],
    ])('refuses %j %j naming %s', (raw, auth, field) => {
      let error: unknown;
      try {
        connector.parseConfig({ servers: ['h'], stream: 'S', consumer: 'c', ...raw }, auth);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConnectorConfigError);
      expect((error as ConnectorConfigError).details).toEqual([expect.objectContaining({ field })]);
    });
  });

  describeConnectorContract('nats', () => connector, {
    valid: () => context({ stream: contractStream, consumer: 'contract' }),
    probe: { stream: expect.any(String), messages: 3, serverVersion: expect.any(String) },
    failing: () => context({ stream: 'sluice_no_such_stream' }),
    failure: /^Stream "sluice_no_such_stream" does not exist$/,
    refusal: {
      context: {
        context: () => contextFor(config({ stream: contractStream }), { net: new SafeNetwork(undefined) }),
        error: { type: SafeNetworkError, code: 'ADDRESS_REFUSED' },
      },
    },
    discovered: ['m-0', 'm-1', 'm-2'],
  });

  describe('probe', () => {
    it('reports the stream and whether the consumer exists, creating nothing', async () => {
      const stream = await freshStream();
      await publish(stream, 4);
      const outcome = await connector.test(context({ stream }));
      expect(outcome).toMatchObject({
        success: true,
        details: { stream, messages: 4, consumer: 'sluice', consumerExists: false },
      });
      await expect(jsm.consumers.info(stream, 'sluice')).rejects.toMatchObject({ name: 'ConsumerNotFoundError' });
    });

    it('names an unreachable server', async () => {
      const port = await freePort();
      const outcome = await connector.test(context({ servers: [`127.0.0.1:${port}`], stream: 'S' }));
      expect(outcome).toMatchObject({
        success: false,
        message: expect.stringMatching(/Connection refused by 127\.0\.0\.1/),
      });
    });

    describe('against a server that requires a user and password', () => {
      let server: ChildProcess;
      let port: number;
      const dir = mkdtempSync(join(tmpdir(), 'sluice-nats-'));

      beforeAll(async () => {
        port = await freePort();
        server = spawn(
          '/usr/sbin/nats-server',
          ['-a', '127.0.0.1', '-p', String(port), '--user', 'app', '--pass', 'right-secret', '-js', '-sd', dir],
          { stdio: 'ignore' },
        );
        await eventually(
          () =>
            connect({ servers: `127.0.0.1:${port}`, user: 'app', pass: 'right-secret', reconnect: false }).then((c) =>
              c.close(),
            ),
          () => true,
          10_000,
          { what: 'the password-protected nats-server to start' },
        );
        const admin = await connect({ servers: `127.0.0.1:${port}`, user: 'app', pass: 'right-secret' });
        await (await jetstreamManager(admin)).streams.add({ name: 'AUTHED', subjects: ['authed.>'] });
        await admin.close();
      }, 20_000);
      afterAll(() => {
        server?.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      });

      it('succeeds with the right credentials and names wrong ones, without echoing them', async () => {
        const servers = [`127.0.0.1:${port}`];
        const ok = await connector.test(
          context({ servers, stream: 'AUTHED' }, { username: 'app', password: 'right-secret' }),
        );
        expect(ok).toMatchObject({ success: true, details: { stream: 'AUTHED' } });
        const wrong = await connector.test(
          context({ servers, stream: 'AUTHED' }, { username: 'app', password: 'wrong-secret-value' }),
        );
        expect(wrong).toMatchObject({
          success: false,
          message: 'The NATS server refused the credentials (authorization violation)',
        });
        const none = await connector.test(context({ servers, stream: 'AUTHED' }));
        expect(none).toMatchObject({ success: false, message: expect.stringMatching(/refused the credentials/) });
        expect(JSON.stringify([ok, wrong, none])).not.toMatch(/right-secret|wrong-secret-value/);
      });
    });
  });

  describe('discover', () => {
    it('creates the durable consumer and takes maxMessages in batches, acknowledging each after the walk resumes', async () => {
      const stream = await freshStream();
      await publish(stream, 250);
      const batches = await walk(context({ stream, maxMessages: 120, batchSize: 50 }));
      expect(batches.map((b) => b.length)).toEqual([50, 50, 20]);
      expect(batches.flat().map((i) => i.externalId)).toEqual(Array.from({ length: 120 }, (_, i) => `m-${i}`));
      expect((await jsm.consumers.info(stream, 'sluice')).config.ack_policy).toBe(AckPolicy.Explicit);
      expect(await outstanding(stream)).toBe(130);
      const next = (await walk(context({ stream, batchSize: 100 }))).flat();
      expect(next.map((i) => i.externalId)).toEqual(Array.from({ length: 130 }, (_, i) => `m-${i + 120}`));
      expect(await outstanding(stream)).toBe(0);
    });

    it('gives back a batch the sync did not take up again, and it comes first in the next walk', async () => {
      const stream = await freshStream();
      await publish(stream, 30);
      const first = await walk(context({ stream, batchSize: 10 }), (_b, index) => (index === 1 ? 'stop' : 'next'));
      expect(first.flat()).toHaveLength(20);
      expect(await outstanding(stream)).toBe(20);
      const again = (await walk(context({ stream }))).flat().map((i) => i.externalId);
      expect(again.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m-${i + 10}`).sort());
    });

    it('redelivers after the ack wait what a dead walk never acknowledged, with the same ids', async () => {
      const stream = await freshStream();
      await publish(stream, 5, false);
      // A walk that dies without running its finally block: the generator is simply abandoned.
      const abandoned = connector.discover(context({ stream, ackWaitMs: 1_000 }));
      const first = await abandoned.next();
      expect(first.value).toHaveLength(5);
      const ids = (first.value as DiscoveredItem[]).map((i) => i.externalId);
      expect(ids).toEqual(['seq:1', 'seq:2', 'seq:3', 'seq:4', 'seq:5']);
      const again = await eventually(
        async () => (await walk(context({ stream }))).flat(),
        (items) => items.length === 5,
        15_000,
        { what: 'the unacknowledged messages to be redelivered' },
      );
      expect(again.map((i) => [i.externalId, i.checksum])).toEqual(
        (first.value as DiscoveredItem[]).map((i) => [i.externalId, i.checksum]),
      );
      // Only now let the abandoned walk close its connection.
      await abandoned.return(undefined);
    });

    it('ends soon after the stream is drained instead of waiting the whole timeout', async () => {
      const stream = await freshStream();
      await publish(stream, 3);
      const started = Date.now();
      expect((await walk(context({ stream, waitTimeoutMs: 60_000 }))).flat()).toHaveLength(3);
      expect(await walk(context({ stream, waitTimeoutMs: 60_000 }))).toEqual([]);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('stores the body, subject, sequence, headers and time', async () => {
      const stream = await freshStream();
      const h = headers();
      h.set('Content-Type', 'application/json');
      h.set('Source', 'shop');
      await jetstream(nc).publish(`${stream}.orders`, '{"order":42}', { msgID: 'order-42', headers: h });
      const [item] = (await walk(context({ stream }))).flat();
      expect(item).toMatchObject({
        externalId: 'order-42',
        kind: 'record',
        mimeType: 'application/json',
        size: 12,
        metadata: {
          content: '{"order":42}',
          contentEncoding: 'utf-8',
          subject: `${stream}.orders`,
          stream,
          streamSequence: 1,
          headers: expect.objectContaining({ Source: ['shop'], 'Nats-Msg-Id': ['order-42'] }),
        },
      });
      expect(item.modifiedAt).toBeInstanceOf(Date);
      expect(Math.abs(item.modifiedAt!.getTime() - Date.now())).toBeLessThan(60_000);
    });

    it('refuses to walk a missing stream, naming it', async () => {
      await expect(walk(context({ stream: 'sluice_missing_stream' }))).rejects.toMatchObject({
        code: 'STREAM_NOT_FOUND',
        message: 'Stream "sluice_missing_stream" does not exist',
      });
    });

    it('refuses a consumer without explicit acknowledgements', async () => {
      const stream = await freshStream();
      await jsm.consumers.add(stream, { durable_name: 'noack', ack_policy: AckPolicy.None });
      await expect(walk(context({ stream, consumer: 'noack' }))).rejects.toMatchObject({
        code: 'CONSUMER_NOT_SUITABLE',
      });
    });
  });
});
