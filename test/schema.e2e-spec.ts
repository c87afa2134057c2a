import { ConnectorRegistry } from '@sluice/connectors';
import { INestApplicationContext } from '@nestjs/common';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chinookSqliteCopy, dropMariadbDatabase, loadChinookMariadb, loadChinookPostgres } from './helpers/chinook';
import { QueryCountingProxy } from './helpers/query-counter';
import { waitForRun } from './helpers/runs';
import { eventually } from './helpers/eventually';
import { createTenant, inviteUser, SEED_OTHER } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';
import { databaseName, dropDatabase, PG_ADMIN_URL, query, testVariables } from './helpers/test-env';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const WIDE_TABLES = 2000;

describe('schema introspection, cache and annotations (e2e)', () => {
  const pgUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_schema_');
  const wideUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_wide_');
  const mariaDb = `chinook_schema_${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-schema-'));
  const pgProxy = new QueryCountingProxy('postgres', 5432);
  const mariaProxy = new QueryCountingProxy('mysql', 3306);
  let t: TestApp;
  let worker: INestApplicationContext;
  let token: string;
  const ids: Record<string, string> = {};
  let sqliteIntrospections = 0;

  const schema = (id: string, qs = '') => t.http.get(`/api/v1/connectors/${id}/schema${qs}`, { token });
  const create = async (name: string, body: Record<string, unknown>) => {
    const res = await t.http.post('/api/v1/connectors', { name, ...body }, { token });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const pgConfig = (url: string) => ({
    type: 'postgresql',
    config: {
      host: '127.0.0.1',
      port: pgProxy.port,
      database: databaseName(url),
      user: 'postgres',
      ssl: { mode: 'disable' },
    },
    authConfig: { password: 'unused-under-trust' },
  });

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    await Promise.all([loadChinookPostgres(pgUrl), loadChinookMariadb(mariaDb), pgProxy.start(), mariaProxy.start()]);
    await query(PG_ADMIN_URL, `CREATE DATABASE "${databaseName(wideUrl)}"`);
    const columns = Array.from({ length: 9 }, (_, i) => `c${i + 1} text`).join(', ');
    const ddl = Array.from(
      { length: WIDE_TABLES },
      (_, i) => `CREATE TABLE t_${String(i).padStart(5, '0')} (id integer PRIMARY KEY, ${columns});`,
    ).join('\n');
    await query(wideUrl, ddl);

    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', SQLITE_ALLOWED_DIRS: dir, FOLDER_ALLOWED_ROOTS: dir });
    worker = await startTestWorker(t.env);
    token = await t.http.login(ADMIN.email, ADMIN.password);

    // SQLite runs in the API's own process: count what reaches the file through the plugin.
    const sqlite = t.app.get(ConnectorRegistry).get('sqlite').plugin.sql!;
    const introspect = sqlite.introspect.bind(sqlite);
    sqlite.introspect = (ctx) => {
      sqliteIntrospections++;
      return introspect(ctx);
    };

    ids.PostgreSQL = await create('Chinook PG', pgConfig(pgUrl));
    ids.MariaDB = await create('Chinook Maria', {
      type: 'mysql',
      config: { host: '127.0.0.1', port: mariaProxy.port, database: mariaDb, user: 'root', ssl: { mode: 'disable' } },
      authConfig: { password: '' },
    });
    ids.SQLite = await create('Chinook SQLite', { type: 'sqlite', config: { path: chinookSqliteCopy(dir) } });
  }, 180_000);

  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await Promise.all([pgProxy.stop(), mariaProxy.stop()]);
    await dropDatabase(pgUrl);
    await dropDatabase(wideUrl);
    await dropMariadbDatabase(mariaDb);
    rmSync(dir, { recursive: true, force: true });
  });

  const sourceQueries: Record<string, () => number> = {
    PostgreSQL: () => pgProxy.queries,
    MariaDB: () => mariaProxy.queries,
    SQLite: () => sqliteIntrospections,
  };

  it.each(['PostgreSQL', 'MariaDB', 'SQLite'])(
    '%s: 11 tables with keys and relationships, then reads served from the cache alone',
    async (engine) => {
      const id = ids[engine];
      const first = await schema(id);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ connectorId: id, stale: false, pagination: { total: 11, hasMore: false } });
      const tables: Array<Record<string, any>> = first.body.tables;
      expect(tables.filter((x) => x.kind === 'table')).toHaveLength(11);
      const find = (name: string) => tables.find((x) => x.name.toLowerCase().replace('_', '') === name)!;
      expect(find('album').primaryKey.map((c: string) => c.toLowerCase().replace('_', ''))).toEqual(['albumid']);
      expect(
        find('track')
          .foreignKeys.map((fk: any) => fk.referencedTable.toLowerCase().replace('_', ''))
          .sort(),
      ).toEqual(['album', 'genre', 'mediatype']);
      const rel = (from: string, to: string) =>
        first.body.relationships.find(
          (r: any) =>
            r.fromTable.toLowerCase().replace('_', '').endsWith(from) &&
            r.toTable.toLowerCase().replace('_', '').endsWith(to),
        );
      expect(rel('track', 'album')).toMatchObject({ kind: 'many_to_one' });
      expect(rel('invoiceline', 'invoice')).toBeDefined();
      expect(first.body.relationships.length).toBeGreaterThanOrEqual(11);

      const before = sourceQueries[engine]();
      const again = await schema(id);
      const light = await t.http.get(`/api/v1/connectors/${id}/schema/tables`, { token });
      const filtered = await schema(id, '?q=invoice');
      expect(sourceQueries[engine]()).toBe(before);
      expect(again.body.tables).toEqual(first.body.tables);
      expect(again.body.introspectedAt).toBe(first.body.introspectedAt);
      expect(light.body.tables).toHaveLength(11);
      expect(light.body.tables[0]).toEqual(
        expect.objectContaining({ columnCount: expect.any(Number), trained: false, kind: 'table' }),
      );
      expect(filtered.body.tables.map((x: any) => x.name.toLowerCase()).sort()).toEqual(
        ['invoice', 'invoiceline'].map((n) => (engine === 'PostgreSQL' ? n.replace('line', '_line') : n)),
      );

      const refreshed = await schema(id, '?refresh=true');
      expect(sourceQueries[engine]()).toBeGreaterThan(before);
      expect(refreshed.body.fingerprint).toBe(first.body.fingerprint);
    },
  );

  it('merges annotations, keeps them through a refresh, and flags them orphaned when a column is renamed', async () => {
    const id = ids.PostgreSQL;
    const url = `/api/v1/connectors/${id}/schema/annotations`;
    const before = await schema(id);
    const table = await t.http.post(
      url,
      { table: 'album', description: 'Records of the catalog', tags: ['catalog'], context: 'One row per release' },
      { token },
    );
    expect(table.status).toBe(201);
    expect(table.body).toMatchObject({ table: 'public.album', column: null, orphaned: false });
    const column = await t.http.post(url, { table: 'public.customer', column: 'email', tags: ['pii'] }, { token });
    expect(column.status).toBe(201);
    expect(column.body).toMatchObject({ table: 'public.customer', column: 'email', tags: ['pii'] });
    // Upserting the same target replaces it (200, same id) rather than adding a second one.
    const replaced = await t.http.post(
      url,
      { table: 'customer', column: 'email', tags: ['pii', 'contact'] },
      { token },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: column.body.id, tags: ['pii', 'contact'] });
    expect((await t.http.get(url, { token })).body.data).toHaveLength(2);

    const merged = await schema(id, '?tables=album,public.customer');
    expect(merged.body.version).not.toBe(before.body.version);
    const [album, customer] = merged.body.tables;
    expect(album).toMatchObject({
      name: 'album',
      description: 'Records of the catalog',
      tags: ['catalog'],
      context: 'One row per release',
    });
    expect(customer.columns.find((c: any) => c.name === 'email').tags).toEqual(['pii', 'contact']);

    await schema(id, '?refresh=true');
    const kept = await schema(id, '?tables=album');
    expect(kept.body.tables[0].description).toBe('Records of the catalog');

    await query(pgUrl, 'ALTER TABLE customer RENAME COLUMN email TO email_address');
    await schema(id, '?refresh=true');
    const listed = (await t.http.get(url, { token })).body.data;
    expect(listed.find((a: any) => a.column === 'email')).toMatchObject({ orphaned: true, tags: ['pii', 'contact'] });
    expect(listed.find((a: any) => a.column === null)).toMatchObject({ orphaned: false });
    expect((await t.http.get(`${url}?orphaned=true`, { token })).body.data).toHaveLength(1);
    const renamed = (await schema(id, '?tables=customer')).body.tables[0].columns;
    expect(renamed.find((c: any) => c.name === 'email_address').tags).toEqual([]);

    // The column comes back under its old name: the annotation applies again.
    await query(pgUrl, 'ALTER TABLE customer RENAME COLUMN email_address TO email');
    await schema(id, '?refresh=true');
    expect((await t.http.get(`${url}?orphaned=true`, { token })).body.data).toHaveLength(0);

    const unknownTable = await t.http.post(url, { table: 'albums', description: 'x' }, { token });
    expect(unknownTable.status).toBe(400);
    expect(unknownTable.body.code).toBe('UNKNOWN_TABLE');
    const unknownColumn = await t.http.post(url, { table: 'album', column: 'price' }, { token });
    expect(unknownColumn.body.code).toBe('UNKNOWN_COLUMN');
    const badTag = await t.http.post(url, { table: 'album', tags: ['Not A Tag'] }, { token });
    expect(badTag.status).toBe(400);

    expect((await t.http.delete(`${url}/${table.body.id}`, { token })).status).toBe(204);
    expect((await t.http.delete(`${url}/${table.body.id}`, { token })).status).toBe(404);
    expect((await schema(id, '?tables=album')).body.tables[0].description).toBeNull();
  });

  it(`introspects ${WIDE_TABLES} tables × 10 columns with as many catalog queries as Chinook, and finds one by q`, async () => {
    const wide = await create('Wide', pgConfig(wideUrl));
    // Warm both pools first, so the counts below are catalog queries only.
    await schema(wide);
    let mark = pgProxy.queries;
    await schema(ids.PostgreSQL, '?refresh=true');
    const chinookQueries = pgProxy.queries - mark;
    mark = pgProxy.queries;
    const full = await schema(wide, `?refresh=true&limit=1000`);
    const wideQueries = pgProxy.queries - mark;
    expect(full.body.pagination).toMatchObject({ total: WIDE_TABLES, hasMore: true });
    expect(chinookQueries).toBeGreaterThan(0);
    expect(wideQueries).toBe(chinookQueries);
    expect(wideQueries).toBeLessThanOrEqual(5);

    const found = await schema(wide, '?q=t_01234');
    expect(found.body.tables.map((x: any) => x.name)).toEqual(['t_01234']);
    expect(found.body.tables[0].columns).toHaveLength(10);

    const seen = new Set<string>();
    let cursor: string | null = null;
    for (let page = 0; page < 4; page++) {
      const qs: string = `?limit=500${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.http.get(`/api/v1/connectors/${wide}/schema/tables${qs}`, { token });
      res.body.tables.forEach((x: any) => seen.add(x.name));
      cursor = res.body.pagination.nextCursor;
    }
    expect(seen.size).toBe(WIDE_TABLES);
    expect(cursor).toBeNull();
  });

  it('re-introspects after a sync, and serves a stale cache while refreshing it in the background', async () => {
    const id = ids.PostgreSQL;
    await query(pgUrl, 'ALTER TABLE artist ADD COLUMN country varchar(60)');
    const cached = await schema(id, '?tables=artist');
    expect(cached.body.tables[0].columns.map((c: any) => c.name)).not.toContain('country');
    const run = await t.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token });
    await waitForRun(t.http, token, id, run.body.id);
    const synced = await eventually(
      () => schema(id, '?tables=artist'),
      (res) => res.body.tables[0].columns.some((c: any) => c.name === 'country'),
      20_000,
      { intervalMs: 100, what: 'the schema re-introspected after the sync to show the new column' },
    );
    expect(synced.body.tables[0].columns.map((c: any) => c.name)).toContain('country');

    await query(pgUrl, 'ALTER TABLE artist DROP COLUMN country');
    await query(
      t.env.DATABASE_URL!,
      "UPDATE schema_snapshots SET introspected_at = now() - interval '2 days' WHERE connector_id = $1",
      [id],
    );
    const stale = await schema(id, '?tables=artist');
    expect(stale.body.stale).toBe(true);
    expect(stale.body.tables[0].columns.map((c: any) => c.name)).toContain('country');
    const fresh = await eventually(
      () => schema(id, '?tables=artist'),
      (res) => !res.body.stale,
      20_000,
      { intervalMs: 100, what: 'the background refresh to replace the stale cache' },
    );
    expect(fresh.body.tables[0].columns.map((c: any) => c.name)).not.toContain('country');
  });

  it('keeps schema routes to their roles and tenant, and to SQL connectors', async () => {
    const id = ids.PostgreSQL;
    const viewer = (await inviteUser(t, token, 'viewer', { email: 'view@acme.test', password: 'viewer-passphrase' }))
      .token;
    const url = `/api/v1/connectors/${id}/schema/annotations`;
    expect((await t.http.get(`/api/v1/connectors/${id}/schema`, { token: viewer })).status).toBe(200);
    expect((await t.http.get(url, { token: viewer })).status).toBe(200);
    expect((await t.http.post(url, { table: 'album', description: 'x' }, { token: viewer })).status).toBe(403);
    const annotation = await t.http.post(url, { table: 'genre', description: 'Music genres' }, { token });
    expect((await t.http.delete(`${url}/${annotation.body.id}`, { token: viewer })).status).toBe(403);

    const other = (await createTenant(t, SEED_OTHER)).admin.token;
    for (const res of [
      await t.http.get(`/api/v1/connectors/${id}/schema`, { token: other }),
      await t.http.get(`/api/v1/connectors/${id}/schema/tables`, { token: other }),
      await t.http.get(url, { token: other }),
      await t.http.post(url, { table: 'album', description: 'x' }, { token: other }),
      await t.http.delete(`${url}/${annotation.body.id}`, { token: other }),
    ]) {
      expect(res.status).toBe(404);
    }

    const folder = await create('Files', { type: 'folder', config: { path: dir } });
    const notSql = await schema(folder);
    expect(notSql.status).toBe(400);
    expect(notSql.body.code).toBe('SCHEMA_NOT_SUPPORTED');
    expect((await schema(id, '?limit=0')).status).toBe(400);
    expect((await schema(id, '?cursor=garbage')).body.code).toBe('INVALID_CURSOR');
  });
});
