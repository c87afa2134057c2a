import BetterSqlite3 from 'better-sqlite3';
import { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chinookSqliteCopy } from '../../../../../test/helpers/chinook';
import { eventually } from '../../../../../test/helpers/eventually';
import { testEnv } from '../../../../../test/helpers/test-env';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import { DiscoveredItem } from '../../plugin/connector-plugin';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { contextFor } from '../../../../../test/helpers/connector-testing';
import { LocalFileStorage } from '../../files/file-storage';
import { SqliteConfig, SqliteConnector } from './sqlite.connector';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-sqlite-')));
const allowed = join(root, 'allowed');
const outside = join(root, 'outside');
mkdirSync(allowed);
mkdirSync(outside);
const file = chinookSqliteCopy(allowed);
const env = testEnv({ SQLITE_ALLOWED_DIRS: ` ${allowed} , /nonexistent/dir` });
const storage = new LocalFileStorage(testEnv({ STORAGE_DIR: join(root, 'storage') }));
const connector = new SqliteConnector(env, storage);
const ctx = (path = file, connectorId: string | null = null) =>
  contextFor<SqliteConfig>({ path, allowed: env.SQLITE_ALLOWED_DIRS, awaitingUpload: false }, { connectorId });
// For the contract: a database outside SQLITE_ALLOWED_DIRS, and a link inside that leads to it.
const elsewhere = chinookSqliteCopy(mkdtempSync(join(outside, 'contract-')));
const linkOut = join(allowed, 'contract-link.sqlite');
symlinkSync(elsewhere, linkOut);

function count(sql: string): number {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return Object.values(db.prepare(sql).get() as Record<string, number>)[0];
  } finally {
    db.close();
  }
}

describe('SqliteConnector (a copy of the Chinook SQLite file)', () => {
  beforeAll(() => {
    const db = new BetterSqlite3(file);
    db.exec(`CREATE TABLE Listen (PlaylistId INTEGER, TrackId INTEGER, ArtistId INTEGER REFERENCES Artist,
               FOREIGN KEY (PlaylistId, TrackId) REFERENCES PlaylistTrack (PlaylistId, TrackId));
             CREATE VIEW RockTrack AS SELECT TrackId, Name FROM Track WHERE GenreId = 1;`);
    db.close();
  });

  afterAll(async () => {
    await connector.onModuleDestroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('accepts a file inside SQLITE_ALLOWED_DIRS and refuses everything else with a field error', () => {
    expect(connector.parseConfig({ path: file })).toEqual({
      path: file,
      allowed: `${allowed},/nonexistent/dir`,
      awaitingUpload: false,
    });
    const copyOutside = chinookSqliteCopy(outside);
    const link = join(allowed, 'escape.sqlite');
    symlinkSync(copyOutside, link);
    const outsideMessage = expect.stringMatching(/inside one of the directories listed in SQLITE_ALLOWED_DIRS/);
    for (const [path, message] of [
      [copyOutside, outsideMessage],
      [link, outsideMessage],
      ['relative/chinook.sqlite', expect.stringMatching(/absolute/)],
      // A string, not path.join: the connector itself must see and resolve the "..".
      [`${allowed}/../outside/chinook.sqlite`, outsideMessage],
    ] as const) {
      const error = (() => {
        try {
          connector.parseConfig({ path });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConnectorConfigError);
      expect({ path, details: (error as ConnectorConfigError).details }).toEqual({
        path,
        details: [{ field: 'config.path', messages: [message] }],
      });
    }
    expect(() => connector.parseConfig({ path: join(allowed, 'missing.sqlite') })).toThrow(ConnectorConfigError);
  });

  it('refuses every path when SQLITE_ALLOWED_DIRS is empty, saying how to fix it', () => {
    const closed = new SqliteConnector(testEnv(), storage);
    const error = (() => {
      try {
        closed.parseConfig({ path: file });
      } catch (e) {
        return e as ConnectorConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConnectorConfigError);
    expect(JSON.stringify(error!.details)).toMatch(/SQLITE_ALLOWED_DIRS.*upload the file/);
  });

  it('replaces {tenant} in SQLITE_ALLOWED_DIRS by the caller tenant', () => {
    mkdirSync(join(root, 'tenants', 'ten_a'), { recursive: true });
    const own = chinookSqliteCopy(join(root, 'tenants', 'ten_a'));
    const perTenant = new SqliteConnector(testEnv({ SQLITE_ALLOWED_DIRS: join(root, 'tenants', '{tenant}') }), storage);
    expect(perTenant.parseConfig({ path: own }, {}, { tenantId: 'ten_a' }).path).toBe(own);
    for (const scope of [{ tenantId: 'ten_b' }, undefined]) {
      expect(() => perTenant.parseConfig({ path: own }, {}, scope)).toThrow(ConnectorConfigError);
    }
  });

  it("takes only the caller tenant's storageKey; another's answers like a key that holds nothing", async () => {
    const key = 'ten_a/con_up/database.sqlite';
    await storage.put(key, readFileSync(file));
    const own = connector.parseConfig({ storageKey: key }, {}, { tenantId: 'ten_a' });
    expect(own).toMatchObject({ awaitingUpload: false, path: storage.localPath(key) });
    expect(await connector.test(contextFor<SqliteConfig>(own))).toMatchObject({ success: true });
    const unknown = connector.parseConfig({ storageKey: 'ten_b/con_none/database.sqlite' }, {}, { tenantId: 'ten_b' });
    const foreign = connector.parseConfig({ storageKey: key }, {}, { tenantId: 'ten_b' });
    expect(foreign).toEqual(unknown);
    expect(await connector.test(contextFor<SqliteConfig>(foreign))).toEqual(
      await connector.test(contextFor<SqliteConfig>(unknown)),
    );
  });

  it('refuses a file inside STORAGE_DIR even when SQLITE_ALLOWED_DIRS would take it', () => {
    const guarded = new SqliteConnector(
      // Past the boot check, which refuses this pair: the path check must hold on its own.
      Object.assign(testEnv(), { SQLITE_ALLOWED_DIRS: root, STORAGE_DIR: allowed }),
      storage,
    );
    expect(() => guarded.parseConfig({ path: file })).toThrow(ConnectorConfigError);
  });

  it('probes the file: SQLite version and its tables', async () => {
    const outcome = await connector.test(ctx());
    expect(outcome).toMatchObject({ success: true, details: { database: 'chinook.sqlite', tables: 13 } });
    expect(outcome.message).toMatch(/^Connected to SQLite 3\.\d+/);
  });

  it('reports a file that is not a database, and refuses a path that escapes through a link', async () => {
    const junk = join(allowed, 'junk.sqlite');
    writeFileSync(junk, 'this is not a database, just some text that is long enough to have a header'.repeat(10));
    expect(await connector.test(ctx(junk))).toMatchObject({
      success: false,
      message: 'The file is not an SQLite database.',
    });
    // A link of this test's own, to a real database outside: refused for where it leads.
    const link = join(allowed, 'escape-by-link.sqlite');
    symlinkSync(chinookSqliteCopy(mkdtempSync(join(outside, 'target-'))), link);
    const refusedForLink = {
      details: [{ field: 'config.path', messages: [expect.stringMatching(/symbolic links are followed/)] }],
    };
    const probe = connector.test(ctx(link));
    await expect(probe).rejects.toBeInstanceOf(ConnectorConfigError);
    await expect(probe).rejects.toMatchObject(refusedForLink);
    const query = connector.sql.execute(ctx(link), 'SELECT 1', { readOnly: true, timeoutMs: 1000, maxRows: 1 });
    await expect(query).rejects.toBeInstanceOf(ConnectorConfigError);
    await expect(query).rejects.toMatchObject(refusedForLink);
  });

  describeConnectorContract('sqlite', () => connector, {
    valid: () => ctx(),
    probe: { database: 'chinook.sqlite' },
    failing: () => ctx(join(allowed, 'missing.sqlite')),
    failure: /^Cannot open the SQLite file/,
    refusal: {
      config: { config: () => ({ path: elsewhere }), field: 'config.path' },
      context: { context: () => ctx(linkOut), error: { type: ConnectorConfigError } },
    },
    discovered: ['Album', 'Track'],
    sql: { dialect: 'sqlite', tables: ['Album', 'Artist', 'Track'] },
  });

  it('introspects tables, keys and views in two catalog queries', async () => {
    const snapshot = await connector.sql.introspect(ctx(file, 'con_sqlite'));
    expect(snapshot).toMatchObject({ dialect: 'sqlite', database: 'chinook.sqlite', catalogQueries: 2 });
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
    expect(album).toMatchObject({ schema: null, kind: 'table', primaryKey: ['AlbumId'], rowEstimate: null });
    expect(album.foreignKeys).toEqual([
      {
        name: 'Album_ArtistId_fkey',
        columns: ['ArtistId'],
        referencedSchema: null,
        referencedTable: 'Artist',
        referencedColumns: ['ArtistId'],
      },
    ]);
    expect(album.columns[1]).toEqual({
      name: 'Title',
      type: 'NVARCHAR(160)',
      nullable: false,
      default: null,
      primaryKey: false,
      comment: null,
    });
    expect(snapshot.tables.find((t) => t.name === 'PlaylistTrack')!.primaryKey).toEqual(['PlaylistId', 'TrackId']);
    const listen = snapshot.tables.find((t) => t.name === 'Listen')!;
    expect(listen.foreignKeys).toEqual([
      expect.objectContaining({ columns: ['PlaylistId', 'TrackId'], referencedColumns: ['PlaylistId', 'TrackId'] }),
      // "REFERENCES Artist" names no column: the referenced table's primary key is meant.
      expect.objectContaining({ columns: ['ArtistId'], referencedTable: 'Artist', referencedColumns: ['ArtistId'] }),
    ]);
    expect(snapshot.tables.find((t) => t.name === 'RockTrack')).toMatchObject({
      kind: 'view',
      columns: [{ name: 'TrackId' }, { name: 'Name' }],
    });
  });

  it('reads at most maxRows rows and says the result was cut', async () => {
    const result = await connector.sql.execute(ctx(), 'SELECT * FROM Track ORDER BY TrackId', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 10,
    });
    expect(result).toMatchObject({ rowCount: 10, truncated: true });
    expect(result.rows).toHaveLength(10);
    expect(result.columns.slice(0, 2)).toEqual([
      { name: 'TrackId', type: 'INTEGER' },
      { name: 'Name', type: 'NVARCHAR(200)' },
    ]);
    expect(result.rows[0][0]).toBe(1);
    const all = await connector.sql.execute(ctx(), 'SELECT GenreId FROM Genre', {
      readOnly: true,
      timeoutMs: 5000,
      maxRows: 100,
    });
    expect(all).toMatchObject({ rowCount: 25, truncated: false });
  });

  it('returns JSON-safe values', async () => {
    const result = await connector.sql.execute(
      ctx(),
      "SELECT 9007199254740993 AS big, 42 AS small, 1.5 AS real, x'0102ff' AS bytes, 'text' AS word, NULL AS empty",
      { readOnly: true, timeoutMs: 5000, maxRows: 5 },
    );
    expect(result.rows).toEqual([
      ['9007199254740993', 42, 1.5, Buffer.from([1, 2, 255]).toString('base64'), 'text', null],
    ]);
    expect(result.columns.map((c) => c.type)).toEqual(['integer', 'integer', 'real', 'blob', 'text', '']);
  });

  it('refuses writes in a read-only run and leaves the data alone', async () => {
    const before = count('SELECT count(*) FROM InvoiceLine');
    const error = await connector.sql
      .execute(ctx(), 'DELETE FROM InvoiceLine', { readOnly: true, timeoutMs: 5000, maxRows: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error).toMatchObject({ code: 'SQL_ERROR', message: expect.stringMatching(/readonly/) });
    expect(count('SELECT count(*) FROM InvoiceLine')).toBe(before);
  });

  it('refuses ATTACH and VACUUM INTO, which would reach other files', async () => {
    const other = chinookSqliteCopy(allowed, 'other.sqlite');
    for (const sql of [
      `ATTACH DATABASE '${other}' AS other`,
      `/* hi */ attach '${other}' as o`,
      `VACUUM INTO '${join(outside, 'copy.sqlite')}'`,
    ]) {
      await expect(
        connector.sql.execute(ctx(), sql, { readOnly: false, timeoutMs: 5000, maxRows: 1 }),
      ).rejects.toMatchObject({
        code: 'SQL_ERROR',
        message: expect.stringMatching(/not allowed/),
      });
    }
  });

  it('commits a write when one is allowed', async () => {
    const read = () => {
      const db = new BetterSqlite3(file, { readonly: true });
      try {
        return (db.prepare('SELECT Name FROM Genre WHERE GenreId = 1').get() as { Name: string }).Name;
      } finally {
        db.close();
      }
    };
    const before = read();
    const written = `Rock committed ${createHash('sha1').update(String(Math.random())).digest('hex').slice(0, 8)}`;
    try {
      const result = await connector.sql.execute(ctx(), `UPDATE Genre SET Name = '${written}' WHERE GenreId = 1`, {
        readOnly: false,
        timeoutMs: 5000,
        maxRows: 10,
      });
      expect(result).toMatchObject({ columns: [], rows: [], rowCount: 1, truncated: false });
      // Read back through a connection of its own: only a committed value is visible there.
      expect(read()).toBe(written);
    } finally {
      const db = new BetterSqlite3(file);
      db.prepare('UPDATE Genre SET Name = ? WHERE GenreId = 1').run(before);
      db.close();
    }
  });

  it('stops a runaway statement at the timeout', async () => {
    const kill = jest.spyOn(ChildProcess.prototype, 'kill');
    const error = await connector.sql
      .execute(ctx(), 'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n', {
        readOnly: true,
        timeoutMs: 300,
        maxRows: 1,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error).toMatchObject({ code: 'SQL_TIMEOUT', message: 'Query exceeded the statement timeout of 300 ms' });
    // The statement never ends on its own: the runner process was killed, and is gone.
    try {
      expect(kill).toHaveBeenCalledWith('SIGKILL');
      const runner = kill.mock.contexts[0] as ChildProcess;
      await eventually(
        () => runner.signalCode,
        (signal) => signal === 'SIGKILL',
        5000,
        {
          what: 'the SQLite runner to die',
        },
      );
    } finally {
      kill.mockRestore();
    }
  });

  it('passes the database message through for a bad statement', async () => {
    await expect(
      connector.sql.execute(ctx(), 'SELECT nope FROM Album', { readOnly: true, timeoutMs: 5000, maxRows: 1 }),
    ).rejects.toMatchObject({ code: 'SQL_ERROR', message: expect.stringMatching(/no such column: nope/) });
  });

  it('discovers tables and views with their stored DDL and a checksum of it', async () => {
    const batches: DiscoveredItem[][] = [];
    for await (const batch of connector.discover(ctx(file, 'con_sqlite'))) batches.push(batch);
    const items = batches.flat();
    expect(items).toHaveLength(13);
    const album = items.find((i) => i.externalId === 'Album')!;
    expect(album).toMatchObject({ kind: 'table', name: 'Album', metadata: { rowEstimate: null } });
    expect(album.metadata!.ddl).toMatch(/^CREATE TABLE \[Album\]/);
    expect(album.checksum).toBe(
      createHash('sha256')
        .update(album.metadata!.ddl as string)
        .digest('hex'),
    );
    expect(items.find((i) => i.externalId === 'RockTrack')).toMatchObject({ kind: 'view' });
    await connector.release('con_sqlite');
  });
});
