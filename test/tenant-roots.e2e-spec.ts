import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seed } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';

/** Issue 11, items 9 and 10: folder roots, SQLite directories and uploads are per tenant. */
describe('per-tenant roots (e2e)', () => {
  let t: TestApp;
  let base: string;
  let acme: { token: string; tenantId: string };
  let globex: { token: string; tenantId: string };

  const create = (token: string, body: Record<string, unknown>) =>
    t.http.post('/api/v1/connectors', { name: `C ${Math.random().toString(36).slice(2)}`, ...body }, { token });
  const testConnection = (token: string, body: Record<string, unknown>) =>
    t.http.post('/api/v1/connectors/test-connection', body, { token });
  const sqliteFile = (path: string) => {
    const db = new BetterSqlite3(path);
    db.exec("CREATE TABLE planet (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO planet (name) VALUES ('Venus');");
    db.close();
  };

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-tenant-roots-')));
    mkdirSync(join(base, 'storage'));
    mkdirSync(join(base, 'shared'));
    writeFileSync(join(base, 'shared', 'common.csv'), 'a\n1\n');
    t = await startTestApp({
      STORAGE_DIR: join(base, 'storage'),
      FOLDER_ALLOWED_ROOTS: `${join(base, 'folders', '{tenant}')},${join(base, 'shared')}`,
      SQLITE_ALLOWED_DIRS: join(base, 'sqlite', '{tenant}'),
    });
    const seeded = await seed(t);
    acme = { token: seeded.tenant.admin.token, tenantId: seeded.tenant.id };
    globex = { token: seeded.other.admin.token, tenantId: seeded.other.id };
    for (const tenant of [acme, globex]) {
      mkdirSync(join(base, 'folders', tenant.tenantId, 'reports'), { recursive: true });
      writeFileSync(join(base, 'folders', tenant.tenantId, 'reports', 'q1.csv'), 'x\n1\n');
      mkdirSync(join(base, 'sqlite', tenant.tenantId), { recursive: true });
      sqliteFile(join(base, 'sqlite', tenant.tenantId, 'own.sqlite'));
    }
  });
  afterAll(async () => {
    await t?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it("gives each tenant its own folder root: another tenant's folder is outside the roots", async () => {
    const acmeFolder = join(base, 'folders', acme.tenantId, 'reports');
    const own = await create(acme.token, { type: 'folder', config: { path: acmeFolder } });
    expect(own.status).toBe(201);
    const probe = await t.http.post(`/api/v1/connectors/${own.body.id}/test`, undefined, { token: acme.token });
    expect(probe.body).toMatchObject({ success: true, details: { files: 1 } });

    for (const path of [acmeFolder, join(base, 'folders', acme.tenantId)]) {
      const foreign = await create(globex.token, { type: 'folder', config: { path } });
      expect(foreign.status).toBe(400);
      expect(foreign.body.details).toEqual([
        { field: 'config.path', messages: [expect.stringContaining('outside the allowed roots')] },
      ]);
      const tested = await testConnection(globex.token, { type: 'folder', config: { path } });
      expect(tested.status).toBe(400);
    }
    // A root written without {tenant} is shared, as documented.
    for (const tenant of [acme, globex]) {
      const shared = await create(tenant.token, { type: 'folder', config: { path: join(base, 'shared') } });
      expect(shared.status).toBe(201);
    }
  });

  it('answers alike for every path outside the roots, whether it exists or not (issue 11.10)', async () => {
    const answers = [];
    for (const path of ['/etc/shadow', '/etc', '/nonexistent/folder', join(base, 'folders', 'ten_nobody')]) {
      const res = await create(acme.token, { type: 'folder', config: { path } });
      expect(res.status).toBe(400);
      answers.push(res.body.details);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toEqual([
      { field: 'config.path', messages: [expect.stringContaining('outside the allowed roots')] },
    ]);
  });

  it("gives each tenant its own SQLite directory: another tenant's file is refused", async () => {
    const own = await testConnection(acme.token, {
      type: 'sqlite',
      config: { path: join(base, 'sqlite', acme.tenantId, 'own.sqlite') },
    });
    expect(own.body).toMatchObject({ success: true });
    const foreign = await testConnection(globex.token, {
      type: 'sqlite',
      config: { path: join(base, 'sqlite', acme.tenantId, 'own.sqlite') },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.details).toEqual([
      { field: 'config.path', messages: [expect.stringContaining('SQLITE_ALLOWED_DIRS')] },
    ]);
  });

  it("answers another tenant's storageKey like an unknown key", async () => {
    const created = await create(acme.token, { type: 'sqlite' });
    const dbFile = join(base, 'upload.sqlite');
    sqliteFile(dbFile);
    const uploaded = await t.http.request('POST', `/api/v1/connectors/${created.body.id}/upload`, {
      token: acme.token,
      rawBody: readFileSync(dbFile) as unknown as string,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(uploaded.status).toBe(200);
    const storageKey = uploaded.body.config.storageKey as string;
    expect(storageKey.startsWith(`${acme.tenantId}/`)).toBe(true);

    // Within its tenant the key is accepted.
    expect((await testConnection(acme.token, { type: 'sqlite', config: { storageKey } })).body).toMatchObject({
      success: true,
    });
    const foreign = await testConnection(globex.token, { type: 'sqlite', config: { storageKey } });
    const unknown = await testConnection(globex.token, {
      type: 'sqlite',
      config: { storageKey: `${globex.tenantId}/con_unknown/database.sqlite` },
    });
    expect(foreign.status).toBe(200);
    expect(foreign.body).toMatchObject({ success: false });
    const { latencyMs: _a, ...foreignBody } = foreign.body;
    const { latencyMs: _b, ...unknownBody } = unknown.body;
    expect(foreignBody).toEqual(unknownBody);
  });

  it('refuses a folder or SQLite path that leads into STORAGE_DIR', async () => {
    const acmeRoot = join(base, 'folders', acme.tenantId);
    symlinkSync(join(base, 'storage'), join(acmeRoot, 'uploads'));
    const folder = await create(acme.token, { type: 'folder', config: { path: join(acmeRoot, 'uploads') } });
    expect(folder.status).toBe(400);
    expect(JSON.stringify(folder.body.details)).toMatch(/outside the allowed roots|STORAGE_DIR/);

    const created = await create(acme.token, { type: 'sqlite' });
    const dbFile = join(base, 'linked.sqlite');
    sqliteFile(dbFile);
    const uploaded = await t.http.request('POST', `/api/v1/connectors/${created.body.id}/upload`, {
      token: acme.token,
      rawBody: readFileSync(dbFile) as unknown as string,
      headers: { 'content-type': 'application/octet-stream' },
    });
    const stored = join(base, 'storage', uploaded.body.config.storageKey as string);
    const link = join(base, 'sqlite', acme.tenantId, 'stored.sqlite');
    symlinkSync(stored, link);
    const sqlite = await testConnection(acme.token, { type: 'sqlite', config: { path: link } });
    expect(sqlite.status).toBe(400);
    expect(sqlite.body.details).toEqual([{ field: 'config.path', messages: [expect.any(String)] }]);
  });
});
