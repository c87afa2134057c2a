import { randomAlphanumeric, SafeNetwork, SafeNetworkError } from '@sluice/core';
import { createHash } from 'node:crypto';
import { Socket } from 'node:net';
import { Client } from 'pg';
import { loadChinookPostgres } from '../../../../../test/helpers/chinook';
import { eventually, withinTime } from '../../../../../test/helpers/eventually';
import { databaseName, dropDatabase, testEnv } from '../../../../../test/helpers/test-env';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import { DiscoveredItem } from '../../plugin/connector-plugin';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { contextFor, CountingListener, itRefusesUnsafeAddresses } from '../../../../../test/helpers/connector-testing';
import { PostgresConfig, PostgresqlConnector } from './postgresql.connector';
import { runPostgresQuery } from './postgres-execute';
import { RedshiftConnector } from './redshift.connector';

const env = testEnv({ CONNECTOR_PROBE_TIMEOUT_MS: '1500' });
const url = env.DATABASE_URL!;
const connector = new PostgresqlConnector(env);
const base = { host: '127.0.0.1', port: 5432, database: databaseName(url), user: 'postgres', ssl: { mode: 'disable' } };
const config = connector.parseConfig({ ...base, schemas: ['public'] }, { password: '' });
const ctx = (overrides: Partial<PostgresConfig> = {}, connectorId: string | null = null) =>
  contextFor<PostgresConfig>({ ...config, ...overrides }, { connectorId });
// Redshift shares the PostgreSQL code path; its contract runs against the same local server.
const redshift = new RedshiftConnector(env);
const redshiftConfig = redshift.parseConfig({ ...base, port: 5432, schemas: ['public'] }, { password: '' });

/** The shared contract, for either type, against the Chinook database of this suite. */
function contractFixture(settings: PostgresConfig, dialect: 'postgresql' | 'redshift') {
  const at = (overrides: Partial<PostgresConfig> = {}) => contextFor<PostgresConfig>({ ...settings, ...overrides });
  return {
    valid: () => at(),
    probe: { database: settings.database, tables: 11 },
    // Nothing listens on port 1: the connection is refused at once.
    failing: () => at({ port: 1 }),
    failure: /Connection refused by 127\.0\.0\.1:1/,
    refusal: {
      context: { context: () => at({ host: '10.0.0.1' }), error: { type: SafeNetworkError, code: 'ADDRESS_REFUSED' } },
    },
    discovered: ['public.album', 'public.track'],
    sql: { dialect, tables: ['album', 'artist', 'track'] },
  };
}

async function run<T>(sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function scalar<T>(sql: string): Promise<T> {
  return Object.values((await run<Record<string, T>>(sql))[0])[0];
}

/** Answers a startup message the way a server with password authentication rejects a wrong one. */
function rejectPassword(socket: Socket): void {
  let stage = 0;
  socket.on('data', () => {
    if (stage++ === 0) {
      socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
      return;
    }
    const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "postgres"'];
    const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
    const header = Buffer.alloc(5);
    header.write('E');
    header.writeInt32BE(body.length + 4, 1);
    socket.end(Buffer.concat([header, body]));
  });
}

describe('PostgresqlConnector (real PostgreSQL with Chinook)', () => {
  beforeAll(async () => {
    await loadChinookPostgres(url);
    // A second schema with a two-column foreign key, kept out of the configured schema list.
    await run(`CREATE SCHEMA extra;
      CREATE TABLE extra.listen (playlist_id int, track_id int, at timestamp DEFAULT now(),
        CONSTRAINT listen_entry_fkey FOREIGN KEY (playlist_id, track_id)
          REFERENCES public.playlist_track (playlist_id, track_id));
      COMMENT ON TABLE extra.listen IS 'Plays of a playlist entry';
      CREATE VIEW extra.recent AS SELECT * FROM extra.listen WHERE at > now() - interval '1 day'`);
  }, 60_000);

  afterAll(async () => {
    await connector.onModuleDestroy();
    await redshift.onModuleDestroy();
    await dropDatabase(url);
  });

  it('describes itself with JSON Schemas and a default port', () => {
    expect(connector.sql.dialect).toBe('postgresql');
    expect(connector.configSchema).toMatchObject({ type: 'object', additionalProperties: false });
    expect((connector.configSchema.properties as Record<string, { default?: unknown }>).port.default).toBe(5432);
    expect(redshift.sql.dialect).toBe('redshift');
    expect((redshift.configSchema.properties as Record<string, { default?: unknown }>).port.default).toBe(5439);
    expect(redshift.parseConfig({ host: 'rs.example.com', database: 'dev', user: 'u' }, {}).port).toBe(5439);
  });

  it('probes the server: version, database and the 11 Chinook tables', async () => {
    const outcome = await connector.test(ctx());
    expect(outcome).toMatchObject({ success: true, details: { database: config.database, tables: 11 } });
    expect(outcome.details.serverVersion).toMatch(/^\d+\.\d+/);
    expect(outcome.message).toBe(`Connected to PostgreSQL ${outcome.details.serverVersion}`);
    expect(outcome.warning).toBeUndefined();
  });

  it('reports an unknown role and a missing database without throwing', async () => {
    const role = await connector.test(ctx({ user: 'nobody_here', password: 'hunter2-secret' }));
    expect(role.success).toBe(false);
    expect(role.message).toMatch(/nobody_here/);
    expect(role.message).not.toContain('hunter2-secret');
    const db = await connector.test(ctx({ database: 'no_such_db_here' }));
    expect(db).toMatchObject({ success: false, message: expect.stringMatching(/no_such_db_here.*does not exist/) });
  });

  it('reports a wrong password as an authentication failure without repeating it', async () => {
    const server = await new CountingListener(rejectPassword).start();
    try {
      const outcome = await connector.test(ctx({ port: server.port, password: 'wr0ng-pa55word' }));
      expect(outcome).toMatchObject({ success: false, message: expect.stringMatching(/Authentication failed/) });
      expect(JSON.stringify(outcome)).not.toContain('wr0ng-pa55word');
    } finally {
      await server.stop();
    }
  });

  it('gives up on a server that never answers within the probe timeout', async () => {
    const silent = await new CountingListener().start();
    try {
      const outcome = await withinTime(4000, 'the probe of a silent server', () =>
        connector.test(ctx({ port: silent.port })),
      );
      expect(outcome).toMatchObject({ success: false, message: expect.stringMatching(/Timed out after 1500 ms/) });
      expect(silent.connections).toBe(1);
    } finally {
      await silent.stop();
    }
  });

  itRefusesUnsafeAddresses(connector, config);

  describeConnectorContract('postgresql', () => connector, contractFixture(config, 'postgresql'));

  describeConnectorContract(
    'redshift (against PostgreSQL)',
    () => redshift,
    contractFixture(redshiftConfig, 'redshift'),
  );

  it('introspects tables, keys and comments in a fixed number of catalog queries', async () => {
    const snapshot = await connector.sql.introspect(ctx());
    expect(snapshot).toMatchObject({ dialect: 'postgresql', database: config.database, catalogQueries: 3 });
    expect(snapshot.tables.map((t) => t.name)).toEqual([
      'album',
      'artist',
      'customer',
      'employee',
      'genre',
      'invoice',
      'invoice_line',
      'media_type',
      'playlist',
      'playlist_track',
      'track',
    ]);
    const album = snapshot.tables.find((t) => t.name === 'album')!;
    expect(album).toMatchObject({ schema: 'public', kind: 'table', primaryKey: ['album_id'] });
    expect(album.foreignKeys).toEqual([
      {
        name: 'album_artist_id_fkey',
        columns: ['artist_id'],
        referencedSchema: 'public',
        referencedTable: 'artist',
        referencedColumns: ['artist_id'],
      },
    ]);
    expect(album.columns[1]).toEqual({
      name: 'title',
      type: 'character varying(160)',
      nullable: false,
      default: null,
      primaryKey: false,
      comment: null,
    });
    const track = snapshot.tables.find((t) => t.name === 'track')!;
    expect(track.foreignKeys.map((f) => f.name).sort()).toEqual([
      'track_album_id_fkey',
      'track_genre_id_fkey',
      'track_media_type_id_fkey',
    ]);
    expect(track.rowEstimate).toBe(3503);
    expect(snapshot.tables.find((t) => t.name === 'playlist_track')!.primaryKey).toEqual(['playlist_id', 'track_id']);

    const extra = await connector.sql.introspect(ctx({ schemas: ['extra'] }));
    expect(extra.catalogQueries).toBe(3);
    const listen = extra.tables.find((t) => t.name === 'listen')!;
    expect(listen).toMatchObject({ schema: 'extra', comment: 'Plays of a playlist entry', primaryKey: [] });
    expect(listen.columns[2]).toMatchObject({ name: 'at', default: 'now()', nullable: true });
    expect(listen.foreignKeys).toEqual([
      {
        name: 'listen_entry_fkey',
        columns: ['playlist_id', 'track_id'],
        referencedSchema: 'public',
        referencedTable: 'playlist_track',
        referencedColumns: ['playlist_id', 'track_id'],
      },
    ]);
    expect(extra.tables.find((t) => t.name === 'recent')).toMatchObject({ kind: 'view', rowEstimate: null });
  });

  it('prints defaults and generated columns without locking the tables it reads', async () => {
    await run(`CREATE SCHEMA shapes;
      CREATE TABLE shapes.line (id serial PRIMARY KEY, qty int NOT NULL, price numeric(10,2), gone text,
        label text DEFAULT 'n/a');
      ALTER TABLE shapes.line DROP COLUMN gone;
      ALTER TABLE shapes.line ADD COLUMN note text;
      ALTER TABLE shapes.line ALTER COLUMN qty SET DEFAULT 1;
      CREATE TABLE shapes.priced (qty int, price numeric, total numeric GENERATED ALWAYS AS (qty * price) STORED)`);
    // Another session holds the strongest lock on the table with defaults (as a long ALTER TABLE
    // would): the catalog is read all the same, without waiting for it.
    const locker = new Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE shapes.line IN ACCESS EXCLUSIVE MODE');
      const snapshot = await withinTime(5000, 'introspection beside a locked table', () =>
        connector.sql.introspect(ctx({ schemas: ['shapes'] })),
      );
      const line = snapshot.tables.find((t) => t.name === 'line')!;
      expect(line.columns.map((c) => [c.name, c.default])).toEqual([
        ['id', "nextval('shapes.line_id_seq'::regclass)"],
        ['qty', '1'],
        ['price', null],
        ['label', "'n/a'::text"],
        ['note', null],
      ]);
      const priced = snapshot.tables.find((t) => t.name === 'priced')!;
      expect(priced.columns[2]).toMatchObject({ name: 'total', default: '((qty)::numeric * price)' });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await run('DROP SCHEMA shapes CASCADE');
    }
  });

  it('reads at most maxRows rows and says the result was cut', async () => {
    const result = await connector.sql.execute(ctx(), 'SELECT * FROM track ORDER BY track_id', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 10,
    });
    expect(result).toMatchObject({ rowCount: 10, truncated: true });
    expect(result.rows).toHaveLength(10);
    expect(result.columns.slice(0, 3)).toEqual([
      { name: 'track_id', type: 'integer' },
      { name: 'name', type: 'character varying' },
      { name: 'album_id', type: 'integer' },
    ]);
    expect(result.rows[0][0]).toBe(1);
    expect(result.rows[0][8]).toBe(0.99);
    expect(result.executionMs).toBeGreaterThanOrEqual(0);
    const all = await connector.sql.execute(ctx(), 'SELECT genre_id FROM genre', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 100,
    });
    expect(all).toMatchObject({ rowCount: 25, truncated: false });
  });

  it('cuts a result at the byte budget while the rows stream in, and stops reading', async () => {
    // The report's query: three rows of 40 MB. The budget (RESULT_MAX_BYTES, 4 MiB by default)
    // stops it on the wire: the connection is cut long before 120 MB arrive.
    const rssBefore = process.memoryUsage().rss;
    const huge = await connector.sql.execute(
      ctx({}, 'con_budget'),
      "SELECT repeat('x', 40000000) AS big FROM generate_series(1, 3)",
      { readOnly: true, timeoutMs: 20_000, maxRows: 100 },
    );
    expect(huge).toMatchObject({ rows: [], rowCount: 0, truncated: true, truncatedReason: 'bytes' });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(80 * 1024 * 1024);

    // Rows within reach: kept until the next would cross the budget, the cursor closed there.
    const some = await connector.sql.execute(
      ctx({}, 'con_budget'),
      "SELECT g, repeat('y', 1000) FROM generate_series(1, 1000) g",
      { readOnly: true, timeoutMs: 5_000, maxRows: 1000, maxBytes: 100_000 },
    );
    expect(some.truncatedReason).toBe('bytes');
    expect(some.rowCount).toBeGreaterThan(50);
    expect(some.rowCount).toBeLessThan(100);
    expect(JSON.stringify(some.rows).length).toBeLessThanOrEqual(100_000);

    const rows = await connector.sql.execute(ctx({}, 'con_budget'), 'SELECT genre_id FROM genre', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 10,
    });
    expect(rows).toMatchObject({ rowCount: 10, truncated: true, truncatedReason: 'rows' });
    const whole = await connector.sql.execute(ctx({}, 'con_budget'), 'SELECT genre_id FROM genre', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 100,
    });
    expect(whole).toMatchObject({ rowCount: 25, truncated: false, truncatedReason: null });
    await connector.release('con_budget');
  });

  it('cuts a row larger than the budget allows as soon as its header arrives, not megabytes later', async () => {
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
    let received = 0;
    try {
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      const run = await runPostgresQuery(client, "SELECT 1 AS id, repeat('x', 40000000) AS big", {
        readOnly: true,
        timeoutMs: 20_000,
        maxRows: 100,
        maxBytes: 4 * 1024 * 1024,
      });
      expect(run).toMatchObject({ cut: true, result: { rows: [], truncated: true, truncatedReason: 'bytes' } });
      // Counting alone would let 9 MiB (twice the budget and 1 MiB) arrive before the cut.
      expect(received).toBeLessThan(2 * 1024 * 1024);
    } finally {
      await client.end().catch(() => undefined);
    }
  });

  it('returns JSON-safe values', async () => {
    const result = await connector.sql.execute(
      ctx(),
      `SELECT 9007199254740993::bigint AS big, 1.50::numeric(5,2) AS num, '\\x0102ff'::bytea AS bytes,
              date '2020-01-02' AS day, timestamp '2020-01-02 03:04:05' AS at, '{"a":1}'::jsonb AS doc,
              'infinity'::float8 AS inf, 1 AS dup, 2 AS dup, '1 day'::interval AS span`,
      { readOnly: true, timeoutMs: 5000, maxRows: 5 },
    );
    expect(result.columns.map((c) => c.type)).toEqual([
      'bigint',
      'numeric',
      'bytea',
      'date',
      'timestamp without time zone',
      'jsonb',
      'double precision',
      'integer',
      'integer',
      'interval',
    ]);
    expect(result.rows[0].slice(0, 9)).toEqual([
      '9007199254740993',
      1.5,
      Buffer.from([1, 2, 255]).toString('base64'),
      '2020-01-02',
      '2020-01-02T03:04:05.000Z',
      { a: 1 },
      'Infinity',
      1,
      2,
    ]);
    expect(() => JSON.stringify(result)).not.toThrow();
  });

  it('refuses writes in a read-only run and leaves the data alone', async () => {
    const before = await scalar<string>('SELECT count(*) FROM invoice_line');
    const error = await connector.sql
      .execute(ctx(), 'DELETE FROM invoice_line', { readOnly: true, timeoutMs: 5000, maxRows: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error).toMatchObject({ code: 'SQL_ERROR', message: expect.stringMatching(/read-only transaction/) });
    expect(await scalar<string>('SELECT count(*) FROM invoice_line')).toBe(before);
    const twoStatements = await connector.sql
      .execute(ctx(), 'COMMIT; DELETE FROM invoice_line', { readOnly: true, timeoutMs: 5000, maxRows: 10 })
      .catch((e: unknown) => e);
    expect(twoStatements).toBeInstanceOf(ConnectorRequestError);
    expect(await scalar<string>('SELECT count(*) FROM invoice_line')).toBe(before);
  });

  it('commits a write when one is allowed', async () => {
    const before = await scalar<string>('SELECT name FROM genre WHERE genre_id = 1');
    const written = `Rock committed ${createHash('sha1').update(String(Math.random())).digest('hex').slice(0, 8)}`;
    try {
      const result = await connector.sql.execute(ctx(), `UPDATE genre SET name = '${written}' WHERE genre_id = 1`, {
        readOnly: false,
        timeoutMs: 5000,
        maxRows: 10,
      });
      expect(result).toMatchObject({ columns: [], rows: [], rowCount: 1, truncated: false });
      // Read back on a connection of its own: only a committed value is visible there.
      expect(await scalar<string>('SELECT name FROM genre WHERE genre_id = 1')).toBe(written);
    } finally {
      await run(`UPDATE genre SET name = '${before}' WHERE genre_id = 1`);
    }
  });

  it('stops a slow statement at the timeout', async () => {
    // A name of its own, so that another run's test on the same server cannot be counted here.
    const slow = `SELECT pg_sleep(5) AS slow_${randomAlphanumeric(10)}`;
    const error = await connector.sql
      .execute(ctx({}, 'con_slow'), slow, { readOnly: true, timeoutMs: 300, maxRows: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error).toMatchObject({ code: 'SQL_TIMEOUT', message: 'Query exceeded the statement timeout of 300 ms' });
    // The server's own timeout ended it: no session is still sleeping.
    expect(
      await scalar<string>(`SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = '${slow}'`),
    ).toBe('0');
    // The pooled connection is still good afterwards.
    const after = await connector.sql.execute(ctx({}, 'con_slow'), 'SELECT 1', {
      readOnly: true,
      timeoutMs: 1000,
      maxRows: 1,
    });
    expect(after.rows).toEqual([[1]]);
  });

  it('passes the database message through for a bad statement', async () => {
    await expect(
      connector.sql.execute(ctx(), 'SELECT nope FROM album', { readOnly: true, timeoutMs: 1000, maxRows: 1 }),
    ).rejects.toMatchObject({ code: 'SQL_ERROR', message: expect.stringMatching(/column "nope" does not exist/) });
  });

  it('keeps one pool per saved connector and rebuilds it when the config changes', async () => {
    const pid = async (c: ReturnType<typeof ctx>) =>
      (await connector.sql.execute(c, 'SELECT pg_backend_pid()', { readOnly: true, timeoutMs: 1000, maxRows: 1 }))
        .rows[0][0];
    const first = await pid(ctx({}, 'con_pool'));
    expect(await pid(ctx({}, 'con_pool'))).toBe(first);
    // Which schemas to read is not part of the connection; the password is.
    expect(await pid(ctx({ schemas: null }, 'con_pool'))).toBe(first);
    const second = await pid(ctx({ password: 'rotated' }, 'con_pool'));
    expect(second).not.toBe(first);
    await connector.release('con_pool');
    await eventually(
      () => scalar<string>(`SELECT count(*) FROM pg_stat_activity WHERE pid IN (${Number(first)}, ${Number(second)})`),
      (active) => active === '0',
      5000,
      { what: "the released pool's connections to close" },
    );
  });

  it('discovers tables and views with their DDL and a checksum of it', async () => {
    const batches: DiscoveredItem[][] = [];
    for await (const batch of connector.discover(ctx({ schemas: null }))) batches.push(batch);
    const items = batches.flat();
    expect(items).toHaveLength(13);
    const album = items.find((i) => i.externalId === 'public.album')!;
    const ddl = album.metadata!.ddl as string;
    expect(album).toMatchObject({ kind: 'table', name: 'album' });
    expect(ddl).toContain('CREATE TABLE public.album (\n  album_id integer NOT NULL,');
    expect(ddl).toContain(
      'CONSTRAINT album_artist_id_fkey FOREIGN KEY (artist_id) REFERENCES public.artist (artist_id)',
    );
    expect(album.checksum).toBe(createHash('sha256').update(ddl).digest('hex'));
    expect(album.metadata).toMatchObject({ rowEstimate: 347, columns: expect.any(Array) });
    const view = items.find((i) => i.externalId === 'extra.recent')!;
    expect(view.kind).toBe('view');
    expect(view.metadata!.ddl).toMatch(/^CREATE VIEW extra.recent AS\n\s*SELECT/);
    expect(items.find((i) => i.externalId === 'extra.listen')!.metadata!.ddl).toContain(
      "COMMENT ON TABLE extra.listen IS 'Plays of a playlist entry';",
    );
  });

  it('warns when SSL is off towards a host that is not loopback', async () => {
    const remote = new SafeNetwork('203.0.113.0/24', async () => [{ address: '203.0.113.5', family: 4 }]);
    const outcome = await connector.test(contextFor({ ...config, host: 'db.example.test' }, { net: remote }));
    expect(outcome).toMatchObject({ success: false, warning: expect.stringMatching(/SSL is disabled/) });
  });
});
