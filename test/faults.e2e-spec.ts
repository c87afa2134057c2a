import { INestApplicationContext } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chinookSqliteCopy } from './helpers/chinook';
import { eventually } from './helpers/eventually';
import { waitForRun } from './helpers/runs';
import { TcpProxy } from './helpers/tcp-proxy';
import { startTestApp, TestApp } from './helpers/test-app';
import { createDatabaseWith, databaseName, dropDatabase, PG_ADMIN_URL, query, testVariables } from './helpers/test-env';
import { startTestWorker } from './helpers/test-worker';
import { Client } from 'pg';

/** Faults of the platform's own dependencies, injected while requests are running. */
describe('faults (e2e)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '1000000' }, { captureLogs: true });
    token = await t.http.login('admin@acme.test', 'acme-admin-password');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  /** Ends every PostgreSQL backend the app holds on its database. */
  const killBackends = () =>
    query<{ killed: boolean }>(
      PG_ADMIN_URL,
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [databaseName(t.env.DATABASE_URL!)],
    );

  it('answers requests cut by killed PostgreSQL backends with a clean 503, and the next ones succeed', async () => {
    const statuses: Array<{ status: number; code?: string }> = [];
    let running = true;
    const load = Array.from({ length: 4 }, async () => {
      while (running) {
        const res = await t.http.get('/api/v1/connectors?limit=5', { token });
        statuses.push({ status: res.status, code: res.body?.code });
      }
    });
    let killed = 0;
    for (let round = 0; round < 5; round++) {
      await sleep(100);
      killed += (await killBackends()).length;
    }
    running = false;
    await Promise.all(load);

    expect(killed).toBeGreaterThan(0);
    const bad = statuses.filter((s) => s.status !== 200 && !(s.status === 503 && s.code === 'DATABASE_UNAVAILABLE'));
    expect({
      bad,
      errors: bad.length ? t.logs.filter((l) => l.includes('"level":"error"')).map((l) => l.slice(0, 700)) : [],
    }).toEqual({ bad: [], errors: [] });
    // The pool replaces what was killed: the very next requests succeed.
    for (let i = 0; i < 10; i++) expect((await t.http.get('/api/v1/connectors?limit=5', { token })).status).toBe(200);
    expect((await t.http.get('/health/ready')).status).toBe(200);
  }, 60_000);

  describe('Redis connections dropped during a sync', () => {
    const FILES = 6_000;
    const folder = mkdtempSync(join(tmpdir(), 'sluice-redis-fault-'));
    let proxy: TcpProxy;
    let app: TestApp;
    let worker: INestApplicationContext | undefined;

    beforeAll(async () => {
      for (let d = 0; d < 20; d++) {
        mkdirSync(join(folder, `d${d}`), { recursive: true });
        for (let i = 0; i < FILES / 20; i++) writeFileSync(join(folder, `d${d}`, `f${i}.txt`), `${d}-${i}`);
      }
      proxy = await new TcpProxy('127.0.0.1', 6379).start();
      app = await startTestApp({
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        FOLDER_ALLOWED_ROOTS: folder,
        QUEUE_LOCK_DURATION_MS: '2000',
        QUEUE_STALLED_INTERVAL_MS: '1000',
      });
      worker = await startTestWorker(app.env, app.logger);
    }, 120_000);

    afterAll(async () => {
      await worker?.close();
      await app?.close();
      await proxy?.cut();
      rmSync(folder, { recursive: true, force: true });
    });

    it('resumes and completes the run, with one document per file', async () => {
      const admin = await app.http.login('admin@acme.test', 'acme-admin-password');
      const connector = await app.http.post(
        '/api/v1/connectors',
        { name: 'Redis fault', type: 'folder', config: { path: folder } },
        { token: admin },
      );
      const id = connector.body.id;
      const started = await app.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token: admin });
      expect(started.status).toBe(202);
      const runUrl = `/api/v1/connectors/${id}/runs/${started.body.id}`;
      let cut = false;
      const deadline = Date.now() + 60_000;
      while (!cut && Date.now() < deadline) {
        const run = (await app.http.get(runUrl, { token: admin })).body;
        if (run.status === 'running' && run.progress.processed > 0) {
          // Every connection of the API and the worker drops at once, as in a Redis restart.
          await proxy.cut();
          await proxy.start();
          cut = true;
        } else await sleep(20);
      }
      expect(cut).toBe(true);

      const final = await waitForRun(app.http, admin, id, started.body.id);
      expect(final.status).toBe('succeeded');
      const [counts] = await query<{ total: number; distinct: number }>(
        app.env.DATABASE_URL!,
        "SELECT count(*)::int AS total, count(DISTINCT external_id)::int AS distinct FROM documents WHERE connector_id = $1 AND status <> 'deleted'",
        [id],
      );
      expect(counts).toEqual({ total: FILES, distinct: FILES });
    }, 120_000);
  });

  describe('a source database that disappears mid-sync', () => {
    const TABLES = 40;
    const PASSWORD = 'source-password-never-shown';
    const sourceUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'fault_source_');
    let proxy: TcpProxy;
    let app: TestApp;
    let worker: INestApplicationContext | undefined;
    let locker: Client | undefined;

    beforeAll(async () => {
      const tables = Array.from({ length: TABLES }, (_, i) => `CREATE TABLE t${i} (id int PRIMARY KEY, label text);`);
      await createDatabaseWith(sourceUrl, `${tables.join('\n')}\nCREATE VIEW every_label AS SELECT label FROM t0;`);
      proxy = await new TcpProxy('127.0.0.1', 5432).start();
      app = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1' });
      worker = await startTestWorker(app.env, app.logger);
    }, 120_000);

    afterAll(async () => {
      await locker?.end().catch(() => undefined);
      await worker?.close();
      await app?.close();
      await proxy?.cut();
      await dropDatabase(sourceUrl);
    });

    it('fails the run with the reason, without stack or password, and a later sync succeeds', async () => {
      const admin = await app.http.login('admin@acme.test', 'acme-admin-password');
      const connector = await app.http.post(
        '/api/v1/connectors',
        {
          name: 'Vanishing source',
          type: 'postgresql',
          config: {
            host: '127.0.0.1',
            port: proxy.port,
            database: databaseName(sourceUrl),
            user: 'postgres',
            ssl: { mode: 'disable' },
          },
          authConfig: { password: PASSWORD },
        },
        { token: admin },
      );
      expect(connector.status).toBe(201);
      const id = connector.body.id;

      // The sync's catalog read calls pg_get_viewdef, which reads pg_rewrite: with that catalog
      // locked, the read stays in flight on the source until the proxy is cut under it.
      locker = new Client({ connectionString: sourceUrl });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE pg_catalog.pg_rewrite IN ACCESS EXCLUSIVE MODE');
      const started = await app.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token: admin });
      expect(started.status).toBe(202);
      // Watched from another database: a view read in the source would wait on the lock too.
      await eventually(
        () =>
          query<{ pid: number }>(
            PG_ADMIN_URL,
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query ILIKE '%pg_get_viewdef%'",
            [databaseName(sourceUrl)],
          ),
        (rows) => rows.length > 0,
        30_000,
        { what: "the sync's catalog read to be in flight on the source" },
      );
      const running = (await app.http.get(`/api/v1/connectors/${id}/runs/${started.body.id}`, { token: admin })).body;
      expect(running.status).toBe('running');
      await proxy.cut();
      await locker.query('ROLLBACK');
      await locker.end();
      locker = undefined;

      // Retried or not (a lost connection is reported as CONNECTION_FAILED), with the source still
      // gone the run ends failed.
      const failed = await waitForRun(app.http, admin, id, started.body.id, 60_000);
      expect(failed.status).toBe('failed');
      expect(failed.error).toEqual(expect.any(String));
      expect(failed.error).toMatch(/connect|connection|refused|closed|terminated/i);
      expect(failed.error).toContain(`127.0.0.1:${proxy.port}`);
      expect(failed.error).not.toContain(PASSWORD);
      expect(failed.error).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
      const none = await app.http.get(`/api/v1/connectors/${id}/documents?limit=1`, { token: admin });
      expect(none.body.pagination.total).toBe(0);

      // The source is back: the same connector syncs in full.
      await proxy.start();
      const again = await app.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token: admin });
      expect(again.status).toBe(202);
      const done = await waitForRun(app.http, admin, id, again.body.id, 60_000);
      expect(done).toMatchObject({ status: 'succeeded', progress: { created: TABLES + 1, total: TABLES + 1 } });
      const docs = await app.http.get(`/api/v1/connectors/${id}/documents?limit=100`, { token: admin });
      expect(docs.body.pagination.total).toBe(TABLES + 1);
      expect(docs.body.data.map((d: { name: string }) => d.name)).toEqual(
        expect.arrayContaining(['t0', 'every_label']),
      );
    }, 150_000);
  });

  describe('an LLM server that misbehaves', () => {
    type Mode = 'garbage' | 'truncated' | 'error500' | 'silent' | 'stalled';
    let mode: Mode = 'garbage';
    const dir = mkdtempSync(join(tmpdir(), 'sluice-llm-fault-'));
    const open = new Set<ServerResponse>();
    let server: Server;
    let app: TestApp;
    let admin: string;
    let connectorId: string;

    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        open.add(res);
        res.on('close', () => open.delete(res));
        if (mode === 'garbage') res.writeHead(200, { 'content-type': 'text/plain' }).end('<html>hello</html>');
        else if (mode === 'truncated')
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x","choices":[{"mess');
        else if (mode === 'error500') res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{}}');
        else if (mode === 'stalled') res.writeHead(200, { 'content-type': 'application/json' }).write('{"id":');
        // silent: the request is read and never answered
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      app = await startTestApp({
        SQLITE_ALLOWED_DIRS: dir,
        SAFE_NETWORK_ALLOW: '127.0.0.1',
        LLM_PROVIDER: 'openai',
        LLM_MODEL: 'broken',
        LLM_BASE_URL: `http://127.0.0.1:${port}/v1`,
        LLM_API_KEY: 'sk-test-fault',
        LLM_MAX_RETRIES: '0',
        LLM_TIMEOUT_MS: '1500',
        NL2SQL_MAX_ATTEMPTS: '1',
      });
      admin = await app.http.login('admin@acme.test', 'acme-admin-password');
      const connector = await app.http.post(
        '/api/v1/connectors',
        { name: 'Chinook', type: 'sqlite', config: { path: chinookSqliteCopy(dir) } },
        { token: admin },
      );
      connectorId = connector.body.id;
    }, 60_000);

    afterAll(async () => {
      for (const res of open) res.destroy();
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it.each<Mode>(['garbage', 'truncated', 'error500', 'silent', 'stalled'])(
      '%s: a clear 502/504 within the deadline, and the question lands in history as failed',
      async (m) => {
        mode = m;
        const before = (await app.http.get('/api/v1/history?limit=1', { token: admin })).body.pagination.total;
        const started = Date.now();
        const res = await app.http.post(
          '/api/v1/nl2sql/query',
          { connectorId, question: `How many albums (${m})?` },
          { token: admin },
        );
        const took = Date.now() - started;
        expect([502, 504]).toContain(res.status);
        expect(res.body.code).toMatch(/^LLM_(ERROR|TIMEOUT|RESPONSE_INVALID)$/);
        expect(res.body.error).not.toMatch(/\bat \S+ \(|node_modules|Unexpected token/);
        // One attempt of at most LLM_TIMEOUT_MS, with room for a loaded machine.
        expect(took).toBeLessThan(1500 + 8000);
        const history = (await app.http.get('/api/v1/history?limit=1', { token: admin })).body;
        expect(history.pagination.total).toBe(before + 1);
        expect(history.data[0]).toMatchObject({ question: `How many albums (${m})?`, ok: false });
      },
      30_000,
    );
  });
});
