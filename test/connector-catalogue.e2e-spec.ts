import type { INestApplicationContext } from '@nestjs/common';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { eventually } from './helpers/eventually';
import { waitForRun } from './helpers/runs';
import { seed, type Seed } from './helpers/seed';
import { SftpTestServer } from './helpers/sftp-server';
import { startTestApp, type TestApp } from './helpers/test-app';
import { query } from './helpers/test-env';
import { startTestWorker } from './helpers/test-worker';

const SFTP_USER = 'feeder';
const SFTP_PASSWORD = 'sftp-e2e-password-4711';
const KINESIS_SECRET = 'kinesis-e2e-secret-0815';
const DSN_PASSWORD = 'dsn-e2e-password-42';
const KINESIS_KEY = 'AKIAKINESISE2E00001';

/** Answers DescribeStreamSummary for the stream `orders` to the key KINESIS_KEY (Kinesis JSON 1.1). */
function kinesisServer(): Server {
  return createServer((req, res) => {
    void text(req).then((raw) => {
      const body = JSON.parse(raw || '{}') as { StreamName?: string };
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (!(req.headers.authorization ?? '').includes(`Credential=${KINESIS_KEY}/`)) {
        return reply(400, { __type: 'UnrecognizedClientException', message: 'invalid token' });
      }
      if (body.StreamName !== 'orders') return reply(400, { __type: 'ResourceNotFoundException', message: 'no' });
      reply(200, { StreamDescriptionSummary: { StreamName: 'orders', StreamStatus: 'ACTIVE', OpenShardCount: 1 } });
    });
  });
}

describe('connector catalogue: sftp, coming-soon types, DSN create and the /test answer (e2e)', () => {
  const base = mkdtempSync(join(tmpdir(), 'sluice-sftp-e2e-'));
  let t: TestApp;
  let worker: INestApplicationContext;
  let s: Seed;
  let sftp: SftpTestServer;
  let kinesis: Server;
  let kinesisEndpoint: string;
  const responses: string[] = [];

  /** Every response body is kept, to check no secret ever left the server. */
  const call = async (method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown, token?: string) => {
    const auth = { token: token ?? s.tenant.editor.token };
    const res =
      method === 'get' || method === 'delete'
        ? await t.http[method](path, auth)
        : await t.http[method](path, body, auth);
    responses.push(`${res.text}\n${JSON.stringify([...res.headers])}`);
    return res;
  };

  beforeAll(async () => {
    mkdirSync(join(base, 'drop', 'daily'), { recursive: true });
    writeFileSync(join(base, 'drop', 'orders.csv'), 'id,total\n1,10\n2,20\n3,30\n');
    writeFileSync(join(base, 'drop', 'daily', 'returns.csv'), 'id\n7\n8');
    writeFileSync(join(base, 'drop', 'readme.txt'), 'hello from sftp\n');
    sftp = await new SftpTestServer({ base, username: SFTP_USER, password: SFTP_PASSWORD }).start();
    kinesis = kinesisServer();
    await new Promise<void>((resolve) => kinesis.listen(0, '127.0.0.1', resolve));
    kinesisEndpoint = `http://127.0.0.1:${(kinesis.address() as AddressInfo).port}`;
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1' }, { captureLogs: true });
    worker = await startTestWorker(t.env, t.logger);
    s = await seed(t);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await sftp?.stop();
    await new Promise((resolve) => kinesis?.close(resolve));
    rmSync(base, { recursive: true, force: true });
  });

  describe('sftp', () => {
    let id: string;

    it('creates, tests, syncs, serves content by ?path= and prunes a file removed at the source', async () => {
      const created = await call('post', '/api/v1/connectors', {
        name: 'Partner drop',
        type: 'sftp',
        config: { host: '127.0.0.1', port: sftp.port, root: '/drop', hostKeyFingerprint: sftp.fingerprint },
        authConfig: { username: SFTP_USER, password: SFTP_PASSWORD },
      });
      expect(created.status).toBe(201);
      expect(created.body.authConfig).toEqual({ username: '********', password: '********' });
      id = created.body.id;

      const tested = await call('post', `/api/v1/connectors/${id}/test`);
      expect(tested.status).toBe(200);
      expect(tested.body).toMatchObject({
        id,
        name: 'Partner drop',
        type: 'sftp',
        success: true,
        status: 'active',
        lastError: null,
        warning: null,
        lastSyncAt: null,
        lastSyncRowCount: null,
        details: { files: 3 },
      });
      expect(tested.body.latencyMs).toEqual(expect.any(Number));
      expect(Date.parse(tested.body.lastTestedAt)).not.toBeNaN();

      const started = await call('post', `/api/v1/connectors/${id}/sync`);
      expect(started.status).toBe(202);
      const run = await waitForRun(t.http, s.tenant.editor.token, id, started.body.id);
      expect(run).toMatchObject({ status: 'succeeded', progress: { processed: 3, created: 3 } });
      const docs = await call('get', `/api/v1/connectors/${id}/documents?limit=50`);
      expect(docs.body.data.map((d: { externalId: string }) => d.externalId).sort()).toEqual([
        'daily/returns.csv',
        'orders.csv',
        'readme.txt',
      ]);

      // 3 rows in orders.csv and 2 in daily/returns.csv; readme.txt is no CSV.
      await eventually(
        async () => (await call('get', `/api/v1/connectors/${id}`)).body.lastSyncRowCount,
        (count) => count === 5,
        10_000,
        { what: 'lastSyncRowCount to be stamped' },
      );
      const afterSync = await call('post', '/api/v1/connectors/test', { id });
      expect(afterSync.body).toMatchObject({ id, type: 'sftp', success: true, lastSyncRowCount: 5 });
      expect(Date.parse(afterSync.body.lastSyncAt)).not.toBeNaN();

      const window = await call('get', `/api/v1/connectors/${id}/content?path=orders.csv&offset=1&limit=2`);
      expect(window.status).toBe(200);
      expect(window.body).toMatchObject({ content: '1,10\n2,20', contentType: 'text/csv' });
      const bytes = await call('get', `/api/v1/connectors/${id}/content?path=readme.txt&bytesStart=6&bytesEnd=9`);
      expect(bytes.body.content).toBe('from');
      const escape = await call('get', `/api/v1/connectors/${id}/content?path=../drop/../../etc/passwd`);
      expect(escape.status).toBe(422);
      expect(escape.body.code).toBe('PATH_OUTSIDE_FOLDER');

      unlinkSync(join(base, 'drop', 'daily', 'returns.csv'));
      const again = await call('post', `/api/v1/connectors/${id}/sync`);
      const second = await waitForRun(t.http, s.tenant.editor.token, id, again.body.id);
      expect(second).toMatchObject({ status: 'succeeded', progress: { processed: 2, deleted: 1, unchanged: 2 } });
      const deleted = await call('get', `/api/v1/connectors/${id}/documents?status=deleted`);
      expect(deleted.body.data.map((d: { externalId: string }) => d.externalId)).toEqual(['daily/returns.csv']);
      // Stamped just after the run is marked succeeded.
      await eventually(
        async () => (await call('get', `/api/v1/connectors/${id}`)).body.lastSyncRowCount,
        (count) => count === 3,
        10_000,
        { what: 'lastSyncRowCount to follow the removed CSV' },
      );
    });

    it('reports a wrong password as a failed test, status error', async () => {
      const created = await call('post', '/api/v1/connectors', {
        name: 'Wrong password',
        type: 'sftp',
        config: { host: '127.0.0.1', port: sftp.port, root: '/drop' },
        authConfig: { username: SFTP_USER, password: 'not-the-password' },
      });
      const tested = await call('post', `/api/v1/connectors/${created.body.id}/test`);
      expect(tested.body).toMatchObject({
        success: false,
        status: 'error',
        lastError: expect.stringMatching(/^Authentication failed/),
      });
    });
  });

  describe('coming-soon types', () => {
    it('amazon_kinesis: create and edit work, test probes for real, sync is 409 and nothing turns active by it', async () => {
      const created = await call('post', '/api/v1/connectors', {
        name: 'Order stream',
        type: 'amazon_kinesis',
        config: { streamName: 'missing', region: 'eu-west-1', endpoint: kinesisEndpoint },
        authConfig: { accessKeyId: KINESIS_KEY, secretAccessKey: KINESIS_SECRET },
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const missing = await call('post', `/api/v1/connectors/${id}/test`);
      expect(missing.body).toMatchObject({
        success: false,
        status: 'error',
        message: 'No stream named missing in eu-west-1',
      });

      const sync = await call('post', `/api/v1/connectors/${id}/sync`);
      expect(sync.status).toBe(409);
      expect(sync.body.code).toBe('CONNECTOR_NOT_AVAILABLE');
      expect((await call('get', `/api/v1/connectors/${id}`)).body).toMatchObject({ status: 'error', lastSyncAt: null });

      const edited = await call('put', `/api/v1/connectors/${id}`, {
        config: { streamName: 'orders', region: 'eu-west-1', endpoint: kinesisEndpoint },
      });
      expect(edited.status).toBe(200);
      const found = await call('post', `/api/v1/connectors/${id}/test`);
      expect(found.body).toMatchObject({
        success: true,
        status: 'active',
        message: 'Stream orders is ACTIVE with 1 open shard',
      });
      expect((await call('post', `/api/v1/connectors/${id}/sync`)).body.code).toBe('CONNECTOR_NOT_AVAILABLE');
      const rows = await query<{ n: number }>(
        t.env.DATABASE_URL!,
        'SELECT count(*)::int AS n FROM sync_runs WHERE connector_id = $1',
        [id],
      );
      expect(rows[0].n).toBe(0);

      const badKey = await call('post', '/api/v1/connectors/test-connection', {
        type: 'amazon_kinesis',
        config: { streamName: 'orders', region: 'eu-west-1', endpoint: kinesisEndpoint },
        authConfig: { accessKeyId: 'AKIAUNKNOWNKEY00001', secretAccessKey: KINESIS_SECRET },
      });
      expect(badKey.body).toMatchObject({
        success: false,
        id: null,
        type: 'amazon_kinesis',
        message: expect.stringMatching(/credentials were refused/),
      });
    });

    it('braze: create works, test answers "not available yet", sync 409, never active', async () => {
      const created = await call('post', '/api/v1/connectors', {
        name: 'Engagement',
        type: 'braze',
        config: { restEndpoint: 'https://rest.iad-01.braze.com' },
        authConfig: { apiKey: 'braze-key' },
      });
      expect(created.status).toBe(201);
      const tested = await call('post', `/api/v1/connectors/${created.body.id}/test`);
      expect(tested.body).toMatchObject({
        success: false,
        status: 'error',
        message: expect.stringMatching(/not available yet/),
      });
      const sync = await call('post', `/api/v1/connectors/${created.body.id}/sync`);
      expect(sync.status).toBe(409);
      expect(sync.body.code).toBe('CONNECTOR_NOT_AVAILABLE');
      expect((await call('get', `/api/v1/connectors/${created.body.id}`)).body.status).toBe('error');
    });
  });

  describe('GET /connector-types', () => {
    it('lists readiness, category and schemas, and filters by both', async () => {
      const all = await call('get', '/api/v1/connector-types', undefined, s.tenant.viewer.token);
      expect(all.body.pagination).toEqual({
        total: all.body.data.length,
        limit: all.body.data.length,
        hasMore: false,
        nextCursor: null,
      });
      const byType = new Map(all.body.data.map((entry: { type: string }) => [entry.type, entry]));
      expect(byType.get('sftp')).toMatchObject({
        category: 'files',
        readiness: 'ready',
        configSchema: expect.any(Object),
        authSchema: expect.any(Object),
      });
      expect(byType.get('amazon_kinesis')).toMatchObject({ category: 'stream', readiness: 'coming_soon' });
      expect(byType.get('braze')).toMatchObject({ category: 'api', readiness: 'coming_soon' });

      const soon = await call('get', '/api/v1/connector-types?readiness=coming_soon');
      expect(soon.body.data.map((entry: { type: string }) => entry.type)).toEqual(
        expect.arrayContaining(['amazon_kinesis', 'braze']),
      );
      expect(soon.body.data.every((entry: { readiness: string }) => entry.readiness === 'coming_soon')).toBe(true);
      const files = await call('get', '/api/v1/connector-types?category=files&readiness=ready');
      expect(files.body.data.map((entry: { type: string }) => entry.type)).toEqual(
        expect.arrayContaining(['folder', 'sftp']),
      );
      expect(files.body.data.every((entry: { category: string }) => entry.category === 'files')).toBe(true);
    });

    it("agrees with the README's table of connector types: every type, its category and readiness", async () => {
      const all = await call('get', '/api/v1/connector-types');
      const served = all.body.data
        .map((entry: { type: string; category: string; readiness: string }) =>
          [entry.type, entry.category, entry.readiness].join(' '),
        )
        .sort();
      const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
      const rows = [...readme.matchAll(/^\| `([a-z0-9_]+)` \| ([a-z_]+) \| ([a-z_]+) \|/gm)].map((m) =>
        [m[1], m[2], m[3]].join(' '),
      );
      expect(rows.sort()).toEqual(served);
    });

    it.each(['category=warehouse', 'readiness=beta'])('answers 400 for ?%s, naming the field', async (qs) => {
      const res = await call('get', `/api/v1/connector-types?${qs}`);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.details)).toContain(qs.split('=')[0]);
    });
  });

  describe('a saved SQL connector from a DSN', () => {
    it('splits the DSN into config and an encrypted password that is never returned', async () => {
      const created = await call('post', '/api/v1/connectors', {
        name: 'From DSN',
        type: 'postgresql',
        connection: `postgresql://reporter:${DSN_PASSWORD}@127.0.0.1:5432/sales`,
        ssl: { mode: 'disable' },
      });
      expect(created.status).toBe(201);
      expect(created.body.config).toMatchObject({
        host: '127.0.0.1',
        port: 5432,
        database: 'sales',
        user: 'reporter',
        ssl: { mode: 'disable' },
      });
      expect(created.body.authConfig).toEqual({ password: '********' });
      const [row] = await query<{ auth_config: string }>(
        t.env.DATABASE_URL!,
        'SELECT auth_config FROM connectors WHERE id = $1',
        [created.body.id],
      );
      expect(row.auth_config).not.toContain(DSN_PASSWORD);
      const listed = await call('get', '/api/v1/connectors?type=postgresql');
      expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(created.body.id);
    });

    it('answers 400 naming connection when the scheme does not match the type', async () => {
      const res = await call('post', '/api/v1/connectors', {
        name: 'Wrong scheme',
        type: 'postgresql',
        connection: `mysql://reporter:${DSN_PASSWORD}@127.0.0.1:3306/sales`,
      });
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([expect.objectContaining({ field: 'connection' })]);
    });
  });

  describe('roles and tenants', () => {
    it('a viewer may not create a connector or test one', async () => {
      const res = await call(
        'post',
        '/api/v1/connectors',
        {
          name: 'Nope',
          type: 'braze',
          config: { restEndpoint: 'https://rest.braze.com' },
          authConfig: { apiKey: 'k' },
        },
        s.tenant.viewer.token,
      );
      expect(res.status).toBe(403);
      const any = (await call('get', '/api/v1/connectors?type=sftp')).body.data[0].id;
      expect((await call('post', '/api/v1/connectors/test', { id: any }, s.tenant.viewer.token)).status).toBe(403);
    });

    it("another tenant's connector id answers 404 to test, sync and content", async () => {
      const any = (await call('get', '/api/v1/connectors?type=sftp')).body.data[0].id;
      const other = s.other.admin.token;
      expect((await call('post', `/api/v1/connectors/${any}/test`, undefined, other)).status).toBe(404);
      expect((await call('post', '/api/v1/connectors/test', { id: any }, other)).status).toBe(404);
      expect((await call('post', `/api/v1/connectors/${any}/sync`, undefined, other)).status).toBe(404);
      expect((await call('get', `/api/v1/connectors/${any}/content?path=orders.csv`, undefined, other)).status).toBe(
        404,
      );
    });

    it('POST /connectors/test without an id answers 400', async () => {
      const res = await call('post', '/api/v1/connectors/test', {});
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.details)).toContain('id');
    });
  });

  // Last: every response and log line of the suite, the sftp password and the other secrets included.
  it('keeps the secrets out of every response and every log line', () => {
    // Run last: the story above really happened and was recorded.
    expect(responses.length).toBeGreaterThan(40);
    expect(t.logs.length).toBeGreaterThan(0);
    for (const secret of [SFTP_PASSWORD, KINESIS_SECRET, DSN_PASSWORD]) {
      expect(responses.join('\n')).not.toContain(secret);
      expect(t.logs.join('\n')).not.toContain(secret);
    }
  });
});
