import { randomAlphanumeric, SafeNetworkError } from '@sluice/core';
import { createHash } from 'node:crypto';
import { createConnection as createCallbackConnection } from 'mysql2';
import { createConnection } from 'mysql2/promise';
import type { Socket } from 'node:net';
import { dropMariadbDatabase, loadChinookMariadb, MARIADB_ADMIN } from '../../../../../test/helpers/chinook';
import { eventually, withinTime } from '../../../../../test/helpers/eventually';
import { testEnv } from '../../../../../test/helpers/test-env';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import { DiscoveredItem } from '../../plugin/connector-plugin';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { contextFor, CountingListener, itRefusesUnsafeAddresses } from '../../../../../test/helpers/connector-testing';
import { describeServer } from './mysql-catalog';
import { runMysqlQuery } from './mysql-execute';
import { MysqlConfig, MysqlConnector } from './mysql.connector';

const env = testEnv({ CONNECTOR_PROBE_TIMEOUT_MS: '1500' });
const database = `sluice_chinook_${randomAlphanumeric(8).toLowerCase()}`;
const connector = new MysqlConnector(env);
const config = connector.parseConfig(
  { host: '127.0.0.1', port: 3306, database, user: 'root', ssl: { mode: 'disable' } },
  { password: '' },
);
const ctx = (overrides: Partial<MysqlConfig> = {}, connectorId: string | null = null) =>
  contextFor<MysqlConfig>({ ...config, ...overrides }, { connectorId });

async function scalar<T>(sql: string): Promise<T> {
  const conn = await createConnection({ ...MARIADB_ADMIN, database });
  try {
    const [rows] = await conn.query(sql);
    return Object.values((rows as Array<Record<string, T>>)[0])[0];
  } finally {
    await conn.end();
  }
}

describe('MysqlConnector (real MariaDB with Chinook)', () => {
  beforeAll(async () => {
    await loadChinookMariadb(database);
    const conn = await createConnection({ ...MARIADB_ADMIN, database });
    try {
      await conn.query(`CREATE TABLE Listen (PlaylistId INT NOT NULL, TrackId INT NOT NULL,
        Note VARCHAR(20) DEFAULT 'it''s', At DATETIME DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT FK_ListenEntry FOREIGN KEY (PlaylistId, TrackId) REFERENCES PlaylistTrack (PlaylistId, TrackId))
        COMMENT 'Plays of a playlist entry'`);
      await conn.query('CREATE VIEW RockTrack AS SELECT TrackId, Name FROM Track WHERE GenreId = 1');
      await conn.query('ANALYZE TABLE Track');
    } finally {
      await conn.end();
    }
  }, 60_000);

  afterAll(async () => {
    await connector.onModuleDestroy();
    await dropMariadbDatabase(database);
  });

  it('probes the server: MariaDB version, database and its tables', async () => {
    const outcome = await connector.test(ctx());
    expect(outcome).toMatchObject({ success: true, details: { database, tables: 13, product: 'mariadb' } });
    expect(outcome.details.serverVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(outcome.message).toBe(`Connected to MariaDB ${outcome.details.serverVersion}`);
  });

  it('reports a wrong password and a missing database without throwing or repeating secrets', async () => {
    const wrong = await connector.test(ctx({ password: 'wr0ng-pa55word' }));
    expect(wrong).toMatchObject({
      success: false,
      message: expect.stringMatching(/Authentication failed for user "root"/),
    });
    expect(JSON.stringify(wrong)).not.toContain('wr0ng-pa55word');
    const missing = await connector.test(ctx({ database: 'no_such_db_here' }));
    expect(missing).toMatchObject({
      success: false,
      message: expect.stringMatching(/no_such_db_here.*does not exist/),
    });
  });

  it('gives up on a server that never answers within the probe timeout', async () => {
    const silent = await new CountingListener().start();
    try {
      const outcome = await withinTime(4000, 'the probe of a silent server', () =>
        connector.test(ctx({ port: silent.port })),
      );
      expect(outcome).toMatchObject({ success: false, message: expect.stringMatching(/Timed out/) });
      expect(silent.connections).toBe(1);
    } finally {
      await silent.stop();
    }
  });

  itRefusesUnsafeAddresses(connector, config);

  describeConnectorContract('mysql (MariaDB)', () => connector, {
    valid: () => ctx(),
    probe: { database, tables: 13, product: 'mariadb' },
    // Nothing listens on port 1: the connection is refused at once.
    failing: () => ctx({ port: 1 }),
    failure: /Connection refused by 127\.0\.0\.1:1/,
    refusal: {
      context: { context: () => ctx({ host: '10.0.0.1' }), error: { type: SafeNetworkError, code: 'ADDRESS_REFUSED' } },
    },
    discovered: [`${database}.Album`, `${database}.Track`],
    sql: { dialect: 'mysql', tables: ['Album', 'Artist', 'Track'] },
  });

  it('introspects tables, keys and comments in a fixed number of catalog queries', async () => {
    const snapshot = await connector.sql.introspect(ctx());
    expect(snapshot).toMatchObject({ dialect: 'mysql', database, catalogQueries: 3 });
    const chinook = snapshot.tables.filter((t) => !['Listen', 'RockTrack'].includes(t.name));
    expect(chinook.map((t) => t.name)).toEqual([
      'Album',
      'Artist',
      'Customer',
      'Employee',
      'Genre',
      'Invoice',
      'InvoiceLine',
      'MediaType',
      'Playlist',
      'PlaylistTrack',
      'Track',
    ]);
    const album = snapshot.tables.find((t) => t.name === 'Album')!;
    expect(album).toMatchObject({ schema: database, kind: 'table', primaryKey: ['AlbumId'] });
    expect(album.foreignKeys).toEqual([
      {
        name: 'FK_AlbumArtistId',
        columns: ['ArtistId'],
        referencedSchema: database,
        referencedTable: 'Artist',
        referencedColumns: ['ArtistId'],
      },
    ]);
    expect(album.columns[0]).toEqual({
      name: 'AlbumId',
      type: 'int(11)',
      nullable: false,
      default: null,
      primaryKey: true,
      comment: null,
    });
    expect(snapshot.tables.find((t) => t.name === 'Track')!.rowEstimate).toBeGreaterThan(3000);
    expect(snapshot.tables.find((t) => t.name === 'PlaylistTrack')!.primaryKey).toEqual(['PlaylistId', 'TrackId']);
    const listen = snapshot.tables.find((t) => t.name === 'Listen')!;
    expect(listen).toMatchObject({ comment: 'Plays of a playlist entry', primaryKey: [] });
    expect(listen.columns.map((c) => c.default)).toEqual([null, null, "'it''s'", 'current_timestamp()']);
    expect(listen.foreignKeys).toEqual([
      {
        name: 'FK_ListenEntry',
        columns: ['PlaylistId', 'TrackId'],
        referencedSchema: database,
        referencedTable: 'PlaylistTrack',
        referencedColumns: ['PlaylistId', 'TrackId'],
      },
    ]);
    expect(snapshot.tables.find((t) => t.name === 'RockTrack')).toMatchObject({
      kind: 'view',
      comment: null,
      rowEstimate: null,
    });
  });

  it('streams at most maxRows rows and says the result was cut', async () => {
    const result = await connector.sql.execute(ctx(), 'SELECT * FROM Track ORDER BY TrackId', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 10,
    });
    expect(result).toMatchObject({ rowCount: 10, truncated: true });
    expect(result.rows).toHaveLength(10);
    expect(result.columns.slice(0, 3)).toEqual([
      { name: 'TrackId', type: 'int' },
      { name: 'Name', type: 'varchar' },
      { name: 'AlbumId', type: 'int' },
    ]);
    expect(result.rows[0][0]).toBe(1);
    expect(result.rows[0][8]).toBe(0.99);
    const all = await connector.sql.execute(ctx(), 'SELECT GenreId FROM Genre', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 100,
    });
    expect(all).toMatchObject({ rowCount: 25, truncated: false });
  });

  it('cuts a row larger than the budget allows as soon as its packet header arrives, not megabytes later', async () => {
    const conn = createCallbackConnection({ ...MARIADB_ADMIN, database });
    conn.on('error', () => undefined);
    const socket = (conn as unknown as { stream: Socket }).stream;
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    try {
      const version = await new Promise<string>((resolve, reject) =>
        conn.query('SELECT VERSION() AS v', (error, rows) =>
          error ? reject(error) : resolve((rows as Array<{ v: string }>)[0].v),
        ),
      );
      received = 0;
      const run = await runMysqlQuery(conn, describeServer(version), "SELECT 1 AS id, repeat('x', 12000000) AS big", {
        readOnly: true,
        timeoutMs: 20_000,
        maxRows: 100,
        maxBytes: 4 * 1024 * 1024,
      });
      expect(run).toMatchObject({ cut: true, result: { rows: [], truncated: true, truncatedReason: 'bytes' } });
      // Counting alone would let 9 MiB (twice the budget and 1 MiB) arrive before the cut.
      expect(received).toBeLessThan(2 * 1024 * 1024);
    } finally {
      conn.destroy();
    }
  });

  it('cuts a result at the byte budget while the rows stream in, and stops reading', async () => {
    // The report's query, within MariaDB's packet limit: three rows of 12 MB. The budget (RESULT_MAX_BYTES, 4 MiB by default)
    // stops it on the wire: the connection is cut long before 120 MB arrive.
    const rssBefore = process.memoryUsage().rss;
    const huge = await connector.sql.execute(
      ctx({}, 'con_budget'),
      "SELECT repeat('x', 12000000) AS big FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) t",
      { readOnly: true, timeoutMs: 20_000, maxRows: 100 },
    );
    expect(huge).toMatchObject({ rows: [], rowCount: 0, truncated: true, truncatedReason: 'bytes' });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(80 * 1024 * 1024);

    // Rows within reach: kept until the next would cross the budget, the cursor closed there.
    const some = await connector.sql.execute(ctx({}, 'con_budget'), "SELECT TrackId, repeat('y', 1000) FROM Track", {
      readOnly: true,
      timeoutMs: 5_000,
      maxRows: 1000,
      maxBytes: 100_000,
    });
    expect(some.truncatedReason).toBe('bytes');
    expect(some.rowCount).toBeGreaterThan(50);
    expect(some.rowCount).toBeLessThan(100);
    expect(JSON.stringify(some.rows).length).toBeLessThanOrEqual(100_000);

    const rows = await connector.sql.execute(ctx({}, 'con_budget'), 'SELECT GenreId FROM Genre', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 10,
    });
    expect(rows).toMatchObject({ rowCount: 10, truncated: true, truncatedReason: 'rows' });
    const whole = await connector.sql.execute(ctx({}, 'con_budget'), 'SELECT GenreId FROM Genre', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 100,
    });
    expect(whole).toMatchObject({ rowCount: 25, truncated: false, truncatedReason: null });
    await connector.release('con_budget');
  });

  it('returns JSON-safe values', async () => {
    const result = await connector.sql.execute(
      ctx(),
      `SELECT CAST(9007199254740993 AS SIGNED) AS big, CAST(1.5 AS DECIMAL(5,2)) AS num, UNHEX('0102FF') AS bytes,
              DATE '2020-01-02' AS day, TIMESTAMP '2020-01-02 03:04:05' AS at, 1 AS dup, 2 AS dup`,
      { readOnly: true, timeoutMs: 5000, maxRows: 5 },
    );
    expect(result.rows[0]).toEqual([
      '9007199254740993',
      1.5,
      Buffer.from([1, 2, 255]).toString('base64'),
      '2020-01-02',
      '2020-01-02T03:04:05.000Z',
      1,
      2,
    ]);
    expect(result.columns.map((c) => c.type)).toEqual([
      'bigint',
      'decimal',
      'varbinary',
      'date',
      'datetime',
      'int',
      'int',
    ]);
  });

  it('refuses writes, including DDL, in a read-only run and leaves the data alone', async () => {
    const before = await scalar<number>('SELECT COUNT(*) FROM InvoiceLine');
    for (const sql of ['DELETE FROM InvoiceLine', 'DROP TABLE Listen', 'CREATE TABLE Sneaky (a INT)']) {
      const error = await connector.sql
        .execute(ctx(), sql, { readOnly: true, timeoutMs: 5000, maxRows: 10 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorRequestError);
      expect(error).toMatchObject({ code: 'SQL_ERROR', message: expect.stringMatching(/READ ONLY/i) });
    }
    expect(await scalar<number>('SELECT COUNT(*) FROM InvoiceLine')).toBe(before);
    const tables = await scalar<number>(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('Listen', 'Sneaky')",
    );
    expect(tables).toBe(1);
    const twoStatements = await connector.sql
      .execute(ctx(), 'COMMIT; DELETE FROM InvoiceLine', { readOnly: true, timeoutMs: 5000, maxRows: 10 })
      .catch((e: unknown) => e);
    expect(twoStatements).toMatchObject({ code: 'SQL_ERROR' });
    expect(await scalar<number>('SELECT COUNT(*) FROM InvoiceLine')).toBe(before);
  });

  it('commits a write when one is allowed, on a pooled connection left read-only before', async () => {
    const pooled = ctx({}, 'con_write');
    await connector.sql.execute(pooled, 'SELECT 1', { readOnly: true, timeoutMs: 1000, maxRows: 1 });
    const before = await scalar<string>('SELECT Name FROM Genre WHERE GenreId = 1');
    const written = `Rock committed ${randomAlphanumeric(8)}`;
    try {
      const result = await connector.sql.execute(pooled, `UPDATE Genre SET Name = '${written}' WHERE GenreId = 1`, {
        readOnly: false,
        timeoutMs: 5000,
        maxRows: 10,
      });
      expect(result).toMatchObject({ columns: [], rows: [], rowCount: 1, truncated: false });
      // Read back on a connection of its own: only a committed value is visible there.
      expect(await scalar<string>('SELECT Name FROM Genre WHERE GenreId = 1')).toBe(written);
    } finally {
      const conn = await createConnection({ ...MARIADB_ADMIN, database });
      await conn.query('UPDATE Genre SET Name = ? WHERE GenreId = 1', [before]).finally(() => conn.end());
    }
  });

  it('stops a slow statement at the timeout', async () => {
    // A name of its own, so that another run's test on the same server cannot be counted here.
    const slow = `SELECT SLEEP(5) AS slow_${randomAlphanumeric(10)}`;
    const error = await connector.sql
      .execute(ctx({}, 'con_slow'), slow, { readOnly: true, timeoutMs: 300, maxRows: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error).toMatchObject({ code: 'SQL_TIMEOUT', message: 'Query exceeded the statement timeout of 300 ms' });
    // The server's own timeout ended it: no session is still sleeping.
    expect(
      Number(
        await scalar<number>(
          `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = '${slow}' AND COMMAND = 'Query'`,
        ),
      ),
    ).toBe(0);
    // The same pool still works, and introspection is not bound by the short timeout left behind.
    const snapshot = await connector.sql.introspect(ctx({}, 'con_slow'));
    expect(snapshot.tables.length).toBeGreaterThan(10);
  });

  it('passes the database message through for a bad statement', async () => {
    await expect(
      connector.sql.execute(ctx(), 'SELECT nope FROM Album', { readOnly: true, timeoutMs: 1000, maxRows: 1 }),
    ).rejects.toMatchObject({ code: 'SQL_ERROR', message: expect.stringMatching(/Unknown column 'nope'/) });
  });

  it('keeps one pool per saved connector, cuts a truncated read and closes the pool on release', async () => {
    const id = async () =>
      (
        await connector.sql.execute(ctx({}, 'con_pool'), 'SELECT CONNECTION_ID()', {
          readOnly: true,
          timeoutMs: 1000,
          maxRows: 1,
        })
      ).rows[0][0];
    const first = await id();
    expect(await id()).toBe(first);
    const cut = await connector.sql.execute(ctx({}, 'con_pool'), 'SELECT * FROM Track', {
      readOnly: true,
      timeoutMs: 1000,
      maxRows: 1,
    });
    expect(cut).toMatchObject({ rowCount: 1, truncated: true });
    // Stopping the rest of the result meant dropping that connection.
    const second = await id();
    expect(second).not.toBe(first);
    await connector.release('con_pool');
    await eventually(
      () =>
        scalar<number>(
          `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID IN (${Number(first)}, ${Number(second)})`,
        ),
      (left) => Number(left) === 0,
      5000,
      { what: "the released pool's connections to close" },
    );
  });

  it('discovers tables and views with their DDL and a checksum of it', async () => {
    const batches: DiscoveredItem[][] = [];
    for await (const batch of connector.discover(ctx())) batches.push(batch);
    const items = batches.flat();
    expect(items).toHaveLength(13);
    const album = items.find((i) => i.externalId === `${database}.Album`)!;
    const ddl = album.metadata!.ddl as string;
    expect(ddl).toContain(`CREATE TABLE ${database}.Album (\n  AlbumId int(11) NOT NULL,`);
    expect(ddl).toContain(
      `CONSTRAINT FK_AlbumArtistId FOREIGN KEY (ArtistId) REFERENCES ${database}.Artist (ArtistId)`,
    );
    expect(album.checksum).toBe(createHash('sha256').update(ddl).digest('hex'));
    expect(items.find((i) => i.name === 'Listen')!.metadata!.ddl).toContain("COMMENT='Plays of a playlist entry';");
    const view = items.find((i) => i.name === 'RockTrack')!;
    expect(view).toMatchObject({ kind: 'view' });
    expect(view.metadata!.ddl).toMatch(new RegExp(`^CREATE VIEW ${database}.RockTrack AS\\nselect`));
  });
});
