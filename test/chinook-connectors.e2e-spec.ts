import { ConnectorPlugin, ConnectorRuntime, SchemaSnapshot } from '@sluice/connectors';
import { ConnectorRepository } from '@sluice/connectors/testing';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chinookSqliteCopy, dropMariadbDatabase, loadChinookMariadb, loadChinookPostgres } from './helpers/chinook';
import { startTestApp, TestApp } from './helpers/test-app';
import { dropDatabase, testVariables } from './helpers/test-env';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };

/**
 * The whole path of Must-show 1, through the API and the stored (encrypted) configuration: a
 * connector per engine is created and tested over HTTP, then introspected and queried with
 * exactly what the server decrypts from its own row.
 */
describe('Chinook through saved connectors (e2e)', () => {
  const pgUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_test_');
  const mariaDb = `chinook_test_${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chinook-'));
  let sqlitePath: string;
  let t: TestApp;
  let token: string;
  let tenantId: string;

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    await Promise.all([loadChinookPostgres(pgUrl), loadChinookMariadb(mariaDb)]);
    sqlitePath = chinookSqliteCopy(dir);
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', SQLITE_ALLOWED_DIRS: dir });
    token = await t.http.login(ADMIN.email, ADMIN.password);
    tenantId = (await t.http.get('/api/v1/auth/me', { token })).body.tenant.id;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await dropDatabase(pgUrl);
    await dropMariadbDatabase(mariaDb);
    rmSync(dir, { recursive: true, force: true });
  });

  const engines = () => [
    {
      label: 'PostgreSQL',
      body: {
        type: 'postgresql',
        config: {
          host: '127.0.0.1',
          port: 5432,
          database: new URL(pgUrl).pathname.slice(1),
          user: 'postgres',
          ssl: { mode: 'disable' },
        },
        authConfig: { password: 'unused-under-trust' },
      },
      tracks: 'SELECT * FROM track',
      count: 'SELECT count(*) FROM track',
      destroy: 'DELETE FROM track',
      album: 'album',
    },
    {
      label: 'MariaDB',
      body: {
        type: 'mysql',
        config: { host: '127.0.0.1', port: 3306, database: mariaDb, user: 'root', ssl: { mode: 'disable' } },
        authConfig: { password: '' },
      },
      tracks: 'SELECT * FROM Track',
      count: 'SELECT count(*) FROM Track',
      destroy: 'DELETE FROM Track',
      album: 'Album',
    },
    {
      label: 'SQLite',
      body: { type: 'sqlite', config: { path: sqlitePath } },
      tracks: 'SELECT * FROM Track',
      count: 'SELECT count(*) FROM Track',
      destroy: 'DELETE FROM Track',
      album: 'Album',
    },
  ];

  it.each(['PostgreSQL', 'MariaDB', 'SQLite'])('%s: create → test → introspect → execute, read-only', async (label) => {
    const engine = engines().find((e) => e.label === label)!;
    const created = await t.http.post('/api/v1/connectors', { name: `Chinook ${label}`, ...engine.body }, { token });
    expect(created.status).toBe(201);

    const probe = await t.http.post(`/api/v1/connectors/${created.body.id}/test`, undefined, { token });
    expect(probe.body).toMatchObject({
      success: true,
      status: 'active',
      details: { serverVersion: expect.any(String), tables: 11 },
    });

    const entity = (await t.app.get(ConnectorRepository).findOne(tenantId, created.body.id))!;
    const { registered, parsed } = t.app.get(ConnectorRuntime).open(entity);
    const plugin = registered.plugin as ConnectorPlugin<unknown>;
    const ctx = t.app.get(ConnectorRuntime).context(entity.tenantId, entity.id, parsed, 30_000);

    const schema: SchemaSnapshot = await plugin.sql!.introspect(ctx);
    expect(schema.tables.filter((x) => x.kind === 'table')).toHaveLength(11);
    const album = schema.tables.find((x) => x.name.toLowerCase() === engine.album.toLowerCase())!;
    expect(album.primaryKey).toHaveLength(1);
    expect(album.foreignKeys).toEqual([
      expect.objectContaining({ referencedTable: expect.stringMatching(/^artist$/i) }),
    ]);

    const cut = await plugin.sql!.execute(ctx, engine.tracks, { readOnly: true, timeoutMs: 10_000, maxRows: 10 });
    expect(cut).toMatchObject({ rowCount: 10, truncated: true });
    expect(cut.rows).toHaveLength(10);

    const before = await plugin.sql!.execute(ctx, engine.count, { readOnly: true, timeoutMs: 10_000, maxRows: 1 });
    await expect(
      plugin.sql!.execute(ctx, engine.destroy, { readOnly: true, timeoutMs: 10_000, maxRows: 1 }),
    ).rejects.toMatchObject({ status: 422 });
    const after = await plugin.sql!.execute(ctx, engine.count, { readOnly: true, timeoutMs: 10_000, maxRows: 1 });
    expect(String(after.rows[0][0])).toBe(String(before.rows[0][0]));
    expect(Number(after.rows[0][0])).toBe(3503);
  });
});
