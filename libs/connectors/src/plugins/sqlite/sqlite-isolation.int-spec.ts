import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFor } from '../../../../../test/helpers/connector-testing';
import { testEnv } from '../../../../../test/helpers/test-env';
import { LocalFileStorage } from '../../files/file-storage';
import { createSqlitePool } from './sqlite-execute';
import { SqliteConfig, SqliteConnector } from './sqlite.connector';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-sqlite-iso-')));
const storage = new LocalFileStorage(testEnv({ STORAGE_DIR: join(root, 'storage') }));

/** A file of `count` views, each reading the one before: reading a view's columns compiles the chain. */
export function nestedViewsFile(path: string, count: number): string {
  const db = new BetterSqlite3(path);
  db.exec('CREATE TABLE base (a INTEGER, b TEXT)');
  const statements = ['BEGIN'];
  for (let i = 0; i < count; i++) {
    statements.push(
      `CREATE VIEW v${String(i).padStart(5, '0')} AS SELECT a, b FROM ${i === 0 ? 'base' : `v${String(i - 1).padStart(5, '0')}`}`,
    );
  }
  statements.push('COMMIT');
  db.exec(statements.join(';\n'));
  db.close();
  return path;
}

/** The longest the event loop went without a turn while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  try {
    const value = await work();
    return { value, stallMs: Math.max(stallMs, performance.now() - last) };
  } finally {
    clearInterval(tick);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const RUNAWAY = 'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n';

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SQLite work runs outside the event loop', () => {
  const views = nestedViewsFile(join(root, 'views.sqlite'), 3000);
  const connector = new SqliteConnector(testEnv({ SQLITE_ALLOWED_DIRS: root }), storage);
  const capped = new SqliteConnector(testEnv({ SQLITE_ALLOWED_DIRS: root, SQLITE_MAX_TABLES: '500' }), storage);
  const ctx = (path: string) =>
    contextFor<SqliteConfig>({ path, allowed: root, awaitingUpload: false }, { connectorId: null });

  afterAll(() => {
    connector.onModuleDestroy();
    capped.onModuleDestroy();
  });

  it('introspects a file of thousands of nested views without stalling the event loop', async () => {
    const { value: schema, stallMs } = await longestStall(() => connector.sql.introspect(ctx(views)));
    expect(schema.tables).toHaveLength(3001);
    expect(stallMs).toBeLessThan(250);
  });

  it('stops introspection at SCHEMA_INTROSPECT_TIMEOUT_MS', async () => {
    const hurried = new SqliteConnector(
      testEnv({ SQLITE_ALLOWED_DIRS: root, SCHEMA_INTROSPECT_TIMEOUT_MS: '1000' }),
      storage,
    );
    try {
      const started = performance.now();
      await expect(hurried.sql.introspect(ctx(views))).rejects.toMatchObject({
        code: 'SQL_TIMEOUT',
        message: 'Reading the SQLite file took longer than 1000 ms',
      });
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      hurried.onModuleDestroy();
    }
  });

  it('reads at most SQLITE_MAX_TABLES tables and views, first by name', async () => {
    const schema = await capped.sql.introspect(ctx(views));
    expect(schema.tables).toHaveLength(500);
    expect(schema.tables[0]).toMatchObject({ name: 'base', kind: 'table' });
    expect(schema.tables[499]).toMatchObject({ name: 'v00498', kind: 'view' });
  });

  it('cuts a result at the byte budget while the rows stream in', async () => {
    const huge = await connector.sql.execute(
      ctx(views),
      "SELECT printf('%.*c', 40000000, 'x') AS big FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3)",
      { readOnly: true, timeoutMs: 20_000, maxRows: 100, maxBytes: 1024 * 1024 },
    );
    expect(huge).toMatchObject({ rows: [], rowCount: 0, truncated: true, truncatedReason: 'bytes' });

    const some = await connector.sql.execute(
      ctx(views),
      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n LIMIT 1000) SELECT x, printf('%.*c', 1000, 'y') FROM n",
      { readOnly: true, timeoutMs: 20_000, maxRows: 1000, maxBytes: 100_000 },
    );
    expect(some.truncatedReason).toBe('bytes');
    expect(some.rowCount).toBeGreaterThan(50);
    expect(some.rowCount).toBeLessThan(100);
    expect(JSON.stringify(some.rows).length).toBeLessThanOrEqual(100_000);

    const capped = await connector.sql.execute(ctx(views), 'SELECT a FROM base UNION ALL SELECT 1 UNION ALL SELECT 2', {
      readOnly: true,
      timeoutMs: 5_000,
      maxRows: 1,
    });
    expect(capped).toMatchObject({ rowCount: 1, truncated: true, truncatedReason: 'rows' });
  });
});

describe('SqliteProcessPool', () => {
  const file = join(root, 'pool.sqlite');
  new BetterSqlite3(file).close();
  const request = (sql: string) => ({ op: 'query', path: file, sql, readOnly: true, maxRows: 10, maxBytes: 1_000_000 });

  it('runs at most `size` tasks at once, queues the next ones and refuses past the queue limit', async () => {
    const pool = createSqlitePool({ size: 2, queueLimit: 1 });
    try {
      const signal = new AbortController().signal;
      const running = [1, 2, 3].map(() => pool.run(request(RUNAWAY), 1_500, signal).catch((e: unknown) => e));
      await new Promise((r) => setTimeout(r, 200));
      expect(pool.stats).toMatchObject({ busy: 2, queued: 1 });
      await expect(pool.run(request('SELECT 1'), 1_000, signal)).rejects.toMatchObject({
        status: 503,
        code: 'SQLITE_BUSY',
      });
      const outcomes = await Promise.all(running);
      // The queued one waited past its own deadline: a deadline counts the wait too.
      for (const outcome of outcomes) expect(outcome).toMatchObject({ code: 'SQL_TIMEOUT' });
      await expect(pool.run(request('SELECT 41 + 1 AS n'), 5_000, signal)).resolves.toMatchObject({ rows: [[42]] });
    } finally {
      pool.close();
    }
  });

  it('kills the process of a task past its deadline, even inside one long SQLite step', async () => {
    const pool = createSqlitePool({ size: 1, queueLimit: 0 });
    try {
      const started = performance.now();
      const task = pool.run(request(RUNAWAY), 500, new AbortController().signal);
      await new Promise((r) => setTimeout(r, 100));
      const pids = (pool as unknown as { busy: Set<{ process: { pid: number } }> }).busy;
      const pid = [...pids][0].process.pid;
      await expect(task).rejects.toMatchObject({ code: 'SQL_TIMEOUT' });
      expect(performance.now() - started).toBeLessThan(1_500);
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(pid)).toBe(false);
      // The slot is free again, with a fresh process.
      await expect(pool.run(request('SELECT 1 AS n'), 5_000, new AbortController().signal)).resolves.toMatchObject({
        rows: [[1]],
      });
    } finally {
      pool.close();
    }
  });

  it('stops the work when the caller gives up', async () => {
    const pool = createSqlitePool({ size: 1, queueLimit: 0 });
    try {
      const abort = new AbortController();
      const task = pool.run(request(RUNAWAY), 60_000, abort.signal);
      setTimeout(() => abort.abort(), 100);
      await expect(task).rejects.toMatchObject({ code: 'QUERY_CANCELLED' });
      expect(pool.stats).toMatchObject({ busy: 0 });
    } finally {
      pool.close();
    }
  });
});
