import { SecretBox } from '@sluice/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, TestApp } from './helpers/test-app';
import { query, testVariables } from './helpers/test-env';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const sql = query;

describe('probe rate limit (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('answers 429 to the 101st probe of a tenant within a minute', async () => {
    const token = await t.http.login(ADMIN.email, ADMIN.password);
    // 10.0.0.1 is refused without any connection, so each probe costs the same and nothing waits.
    const body = { type: 'postgresql', config: { host: '10.0.0.1', port: 5432, database: 'x', user: 'x' } };
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++)
      statuses.push((await t.http.post('/api/v1/connectors/test-connection', body, { token })).status);
    expect(statuses.slice(0, 100).every((s) => s === 422)).toBe(true);
    expect(statuses[100]).toBe(429);
  });
});

describe('managed connectors (e2e)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-managed-'));
  const file = join(dir, 'connectors.yaml');
  const vars = testVariables();
  const write = (description: string) =>
    writeFileSync(
      file,
      `connectors:
  - tenant: Acme
    name: Warehouse
    type: postgresql
    description: ${description}
    config:
      host: 127.0.0.1
      port: 5432
      database: ${new URL(vars.DATABASE_URL).pathname.slice(1)}
      user: postgres
      ssl:
        mode: disable
    authConfig:
      password: \${SLUICE_TEST_WAREHOUSE_PASSWORD}
`,
    );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates at start, updates on restart, and refuses edits through the API', async () => {
    process.env.SLUICE_TEST_WAREHOUSE_PASSWORD = 'from-the-environment';
    write('first description');
    const overrides = {
      DATABASE_URL: vars.DATABASE_URL,
      REDIS_KEY_PREFIX: vars.REDIS_KEY_PREFIX,
      CONNECTORS_FILE: file,
      SAFE_NETWORK_ALLOW: '127.0.0.1',
    };
    const first = await startTestApp(overrides, { keepData: true });
    let token = await first.http.login(ADMIN.email, ADMIN.password);
    const [created] = (await first.http.get('/api/v1/connectors', { token })).body.data;
    expect(created).toMatchObject({
      name: 'Warehouse',
      managed: true,
      description: 'first description',
      authConfig: { password: '********' },
    });
    const [row] = await sql<{ auth_config: string; tenant_id: string }>(
      vars.DATABASE_URL,
      'SELECT auth_config, tenant_id FROM connectors WHERE id = $1',
      [created.id],
    );
    expect(first.app.get(SecretBox).openJson(row.auth_config, row.tenant_id)).toEqual({
      password: 'from-the-environment',
    });
    await first.close();

    write('second description');
    const second = await startTestApp(overrides);
    try {
      token = await second.http.login(ADMIN.email, ADMIN.password);
      const list = (await second.http.get('/api/v1/connectors', { token })).body.data;
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ id: created.id, description: 'second description' });
      for (const res of [
        await second.http.put(`/api/v1/connectors/${created.id}`, { description: 'edited' }, { token }),
        await second.http.delete(`/api/v1/connectors/${created.id}`, { token }),
      ]) {
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('CONNECTOR_MANAGED');
        expect(res.body.error).toContain(file);
      }
      expect((await second.http.post(`/api/v1/connectors/${created.id}/test`, undefined, { token })).body.success).toBe(
        true,
      );
    } finally {
      await second.close();
      delete process.env.SLUICE_TEST_WAREHOUSE_PASSWORD;
    }
  });
});
