import { SecretBox } from '@sluice/core';
import { randomBytes } from 'node:crypto';
import { createConnection, Socket } from 'node:net';
import { startTestApp, TestApp } from './helpers/test-app';
import { CountingListener } from './helpers/connector-testing';
import { eventually } from './helpers/eventually';
import { seed } from './helpers/seed';
import { freePort, query } from './helpers/test-env';

const sql = query;

/** A PostgreSQL connector body pointing at the test's own database server. */
function pgConnector(t: TestApp, name: string, password = 'irrelevant-under-trust-auth') {
  const url = new URL(t.env.DATABASE_URL!);
  return {
    name,
    type: 'postgresql',
    config: {
      host: '127.0.0.1',
      port: Number(url.port),
      database: url.pathname.slice(1),
      user: 'postgres',
      ssl: { mode: 'disable' },
    },
    authConfig: { password },
  };
}

describe('connectors (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let viewer: string;
  let otherTenant: string;

  beforeAll(async () => {
    t = await startTestApp(
      { SAFE_NETWORK_ALLOW: '127.0.0.1', CIRCUIT_BREAKER_THRESHOLD: '3', CIRCUIT_BREAKER_COOLDOWN_SECONDS: '2' },
      { captureLogs: true },
    );
    const seeded = await seed(t);
    admin = seeded.tenant.admin.token;
    viewer = seeded.tenant.viewer.token;
    otherTenant = seeded.other.admin.token;
  });
  afterAll(() => t?.close());

  it('lists the connector types with their JSON Schemas and readiness', async () => {
    const res = await t.http.get('/api/v1/connector-types', { token: viewer });
    expect(res.status).toBe(200);
    const pg = res.body.data.find((x: { type: string }) => x.type === 'postgresql');
    expect(pg).toMatchObject({ category: 'sql', readiness: 'ready', dialect: 'postgresql' });
    expect(pg.configSchema.type).toBe('object');
    expect(pg.authSchema.properties).toHaveProperty('password');
  });

  it('refuses an unknown type and lists each invalid config field', async () => {
    const unknown = await t.http.post('/api/v1/connectors', { name: 'x', type: 'oracle_db' }, { token: admin });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('UNKNOWN_CONNECTOR_TYPE');
    const bad = await t.http.post(
      '/api/v1/connectors',
      { name: 'bad', type: 'postgresql', config: { host: 42, port: 'five', surprise: true } },
      { token: admin },
    );
    expect(bad.status).toBe(400);
    const fields = (bad.body.details as Array<{ field: string }>).map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['config.host', 'config.port', 'config.surprise']));
  });

  it('creates, lists with filters, pages, renames and deletes', async () => {
    const a = await t.http.post(
      '/api/v1/connectors',
      { ...pgConnector(t, 'Alpha warehouse'), description: 'first' },
      { token: admin },
    );
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      name: 'Alpha warehouse',
      type: 'postgresql',
      role: 'source',
      status: 'pending',
      managed: false,
    });
    expect(a.body.id).toMatch(/^conn_[0-9a-z]{12,}$/);
    const dup = await t.http.post('/api/v1/connectors', pgConnector(t, 'ALPHA WAREHOUSE'), { token: admin });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('CONNECTOR_NAME_TAKEN');

    const b = await t.http.post('/api/v1/connectors', pgConnector(t, 'Beta'), { token: admin });
    const filtered = await t.http.get('/api/v1/connectors?q=alpha&type=postgresql&status=pending', { token: viewer });
    expect(filtered.body.data.map((c: { id: string }) => c.id)).toEqual([a.body.id]);
    const page = await t.http.get('/api/v1/connectors?limit=1', { token: viewer });
    expect(page.body.pagination).toMatchObject({ limit: 1, hasMore: true });

    const renamed = await t.http.put(`/api/v1/connectors/${b.body.id}`, { name: 'Beta 2' }, { token: admin });
    expect(renamed.body).toMatchObject({ name: 'Beta 2', description: '' });
    expect((await t.http.delete(`/api/v1/connectors/${b.body.id}`, { token: admin })).status).toBe(204);
    expect((await t.http.get(`/api/v1/connectors/${b.body.id}`, { token: admin })).status).toBe(404);
  });

  it('never shows a password in any answer or log line, and stores no plaintext', async () => {
    const secret = `pw-${randomBytes(12).toString('hex')}`;
    const bodies: string[] = [];
    const created = await t.http.post('/api/v1/connectors', pgConnector(t, 'Secretive', secret), { token: admin });
    const id = created.body.id;
    bodies.push(created.text);
    for (const res of [
      await t.http.get('/api/v1/connectors', { token: admin }),
      await t.http.get(`/api/v1/connectors/${id}`, { token: admin }),
      await t.http.put(`/api/v1/connectors/${id}`, { description: 'changed' }, { token: admin }),
      await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin }),
      await t.http.get(`/api/v1/connectors/${id}/health`, { token: admin }),
      await t.http.post(
        '/api/v1/connectors/test-connection',
        { ...pgConnector(t, 'x', secret), name: undefined },
        { token: admin },
      ),
      await t.http.post(
        '/api/v1/connectors/test-connection',
        { type: 'postgresql', connection: `postgresql://postgres:${secret}@10.0.0.1:5432/x` },
        { token: admin },
      ),
      await t.http.get('/api/v1/connector-types', { token: admin }),
      await t.http.delete(`/api/v1/connectors/${id}`, { token: admin }),
    ]) {
      bodies.push(res.text);
    }
    expect(created.body).toMatchObject({ authConfigured: true, authConfig: { password: '********' } });
    for (const body of bodies) expect(body).not.toContain(secret);
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) expect(line).not.toContain(secret);

    const again = await t.http.post('/api/v1/connectors', pgConnector(t, 'Secretive 2', secret), { token: admin });
    const [row] = await sql<{ auth_config: string; config: unknown }>(
      t.env.DATABASE_URL!,
      'SELECT auth_config, config FROM connectors WHERE id = $1',
      [again.body.id],
    );
    expect(row.auth_config).not.toContain(secret);
    expect(row.auth_config).toMatch(/^v1\./);
    expect(JSON.stringify(row.config)).not.toContain(secret);
  });

  describe('credential contract', () => {
    const stored = async (id: string) => {
      const [row] = await sql<{ auth_config: string | null; tenant_id: string }>(
        t.env.DATABASE_URL!,
        'SELECT auth_config, tenant_id FROM connectors WHERE id = $1',
        [id],
      );
      return row.auth_config
        ? t.app.get(SecretBox).openJson<Record<string, unknown>>(row.auth_config, row.tenant_id)
        : {};
    };
    let id: string;
    beforeEach(async () => {
      const res = await t.http.post(
        '/api/v1/connectors',
        pgConnector(t, `Contract ${randomBytes(4).toString('hex')}`, 'original'),
        { token: admin },
      );
      id = res.body.id;
    });

    it('keeps the credentials when authConfig is omitted', async () => {
      await t.http.put(`/api/v1/connectors/${id}`, { description: 'no secrets sent' }, { token: admin });
      expect(await stored(id)).toEqual({ password: 'original' });
    });

    it('replaces them when a non-empty authConfig is sent', async () => {
      const res = await t.http.put(
        `/api/v1/connectors/${id}`,
        { authConfig: { password: 'rotated' } },
        { token: admin },
      );
      expect(res.body.authConfig).toEqual({ password: '********' });
      expect(await stored(id)).toEqual({ password: 'rotated' });
    });

    it('wipes them when {} is sent', async () => {
      const res = await t.http.put(`/api/v1/connectors/${id}`, { authConfig: {} }, { token: admin });
      expect(res.body.authConfigured).toBe(false);
      expect(res.body.authConfig).toEqual({});
      expect(await stored(id)).toEqual({});
    });

    it('keeps a field sent back as the mask', async () => {
      await t.http.put(`/api/v1/connectors/${id}`, { authConfig: { password: '********' } }, { token: admin });
      expect(await stored(id)).toEqual({ password: 'original' });
    });
  });

  describe('credentials never follow a connector to a new destination', () => {
    const storedSecrets = async (id: string) => {
      const [row] = await sql<{ auth_config: string | null; tenant_id: string; config: Record<string, unknown> }>(
        t.env.DATABASE_URL!,
        'SELECT auth_config, tenant_id, config FROM connectors WHERE id = $1',
        [id],
      );
      const secrets = row.auth_config
        ? t.app.get(SecretBox).openJson<Record<string, unknown>>(row.auth_config, row.tenant_id)
        : {};
      return { secrets, config: row.config };
    };
    let id: string;
    let base: ReturnType<typeof pgConnector>['config'];
    let listener: CountingListener;
    beforeAll(async () => {
      listener = await new CountingListener().start();
    });
    afterAll(() => listener.stop());
    beforeEach(async () => {
      const body = pgConnector(t, `Destination ${randomBytes(4).toString('hex')}`, 'original');
      base = body.config;
      id = (await t.http.post('/api/v1/connectors', body, { token: admin })).body.id;
    });

    const refused = async (body: Record<string, unknown>, fields: string[]) => {
      const res = await t.http.put(`/api/v1/connectors/${id}`, body, { token: admin });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('CREDENTIALS_REQUIRED');
      const named = (res.body.details as Array<{ field: string }>).map((d) => d.field);
      expect(named).toEqual(expect.arrayContaining(['authConfig.password', ...fields]));
      expect(JSON.stringify(res.body)).not.toContain('original');
      // Nothing was saved, so a probe still goes to the old server and never to the new one.
      expect(await storedSecrets(id)).toEqual({ secrets: { password: 'original' }, config: base });
      expect((await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin })).body.success).toBe(true);
      expect(listener.connections).toBe(0);
    };

    it("refuses host, port and ssl.mode moved to the editor's server without the password (issue 11.3)", async () => {
      await refused({ config: { ...base, host: '127.0.0.1', port: listener.port, ssl: { mode: 'require' } } }, [
        'config.port',
        'config.ssl.mode',
      ]);
    });

    it('refuses a port-only change, a user change and a database change without the password', async () => {
      await refused({ config: { ...base, port: listener.port } }, ['config.port']);
      await refused({ config: { ...base, user: 'someone_else' } }, ['config.user']);
      await refused({ connectionConfig: { ...base, database: 'other_db' } }, ['config.database']);
    });

    it('refuses the mask sent back with a new destination', async () => {
      await refused({ config: { ...base, port: listener.port }, authConfig: { password: '********' } }, [
        'config.port',
      ]);
    });

    it('refuses a connection string to a new destination without a password, or with the mask', async () => {
      const dsn = (password: string) =>
        `postgresql://postgres${password}@127.0.0.1:${listener.port}/${base.database}?sslmode=disable`;
      await refused({ connection: dsn('') }, ['config.port']);
      await refused({ connection: dsn(':********') }, ['config.port']);
    });

    it('accepts the secret resent with the new destination, and the probe goes there', async () => {
      const url = new URL(t.env.DATABASE_URL!);
      const forwarder = await new CountingListener((socket) => {
        const upstream = createConnection({ host: '127.0.0.1', port: Number(url.port) });
        upstream.on('error', () => socket.destroy());
        socket.pipe(upstream).pipe(socket);
      }).start();
      try {
        const res = await t.http.put(
          `/api/v1/connectors/${id}`,
          { config: { ...base, port: forwarder.port }, authConfig: { password: 'resent' } },
          { token: admin },
        );
        expect(res.status).toBe(200);
        expect(res.body.config.port).toBe(forwarder.port);
        expect(await storedSecrets(id)).toMatchObject({ secrets: { password: 'resent' } });
        const probe = await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin });
        expect(probe.body.success).toBe(true);
        expect(forwarder.connections).toBeGreaterThan(0);

        // The connection-string form works the same way when it carries the password.
        const dsn = await t.http.put(
          `/api/v1/connectors/${id}`,
          { connection: `postgresql://postgres:again@127.0.0.1:${url.port}${url.pathname}`, ssl: { mode: 'disable' } },
          { token: admin },
        );
        expect(dsn.status).toBe(200);
        expect(dsn.body.config).toMatchObject({ port: Number(url.port), user: 'postgres' });
        expect(await storedSecrets(id)).toMatchObject({ secrets: { password: 'again' } });
      } finally {
        await forwarder.stop();
      }
    });

    it('keeps the stored secrets when the destination does not change, or when they are wiped', async () => {
      const same = await t.http.put(
        `/api/v1/connectors/${id}`,
        { config: { ...base, schemas: ['public'] }, authConfig: { password: '********' } },
        { token: admin },
      );
      expect(same.status).toBe(200);
      // The default port written out or left out is the same destination.
      const { port: _port, ...withoutPort } = base;
      const defaulted = await t.http.put(`/api/v1/connectors/${id}`, { config: withoutPort }, { token: admin });
      expect(defaulted.status).toBe(base.port === 5432 ? 200 : 400);
      expect((await storedSecrets(id)).secrets).toEqual({ password: 'original' });
      const wiped = await t.http.put(
        `/api/v1/connectors/${id}`,
        { config: { ...base, port: listener.port }, authConfig: {} },
        { token: admin },
      );
      expect(wiped.status).toBe(200);
      expect(wiped.body.authConfigured).toBe(false);
    });

    it('names the destination fields of each type in GET /connector-types', async () => {
      const types = (await t.http.get('/api/v1/connector-types', { token: viewer })).body.data as Array<{
        type: string;
        destinationFields: string[];
      }>;
      const of = (type: string) => types.find((x) => x.type === type)?.destinationFields;
      for (const type of ['postgresql', 'redshift', 'mysql']) {
        expect(of(type)).toEqual(expect.arrayContaining(['host', 'port', 'user', 'database', 'ssl.mode']));
      }
      expect(of('sqlite')).toEqual(expect.arrayContaining(['path', 'storageKey']));
      expect(of('folder')).toEqual(['path']);
    });
  });

  describe('roles and tenancy', () => {
    let id: string;
    beforeAll(async () => {
      id = (await t.http.post('/api/v1/connectors', pgConnector(t, 'Guarded'), { token: admin })).body.id;
    });

    it('lets a viewer list and read but not create, change, delete or test', async () => {
      expect((await t.http.get('/api/v1/connectors', { token: viewer })).status).toBe(200);
      expect((await t.http.get(`/api/v1/connectors/${id}`, { token: viewer })).status).toBe(200);
      expect((await t.http.get(`/api/v1/connectors/${id}/health`, { token: viewer })).status).toBe(200);
      expect((await t.http.post('/api/v1/connectors', pgConnector(t, 'By viewer'), { token: viewer })).status).toBe(
        403,
      );
      expect((await t.http.put(`/api/v1/connectors/${id}`, { description: 'x' }, { token: viewer })).status).toBe(403);
      expect((await t.http.delete(`/api/v1/connectors/${id}`, { token: viewer })).status).toBe(403);
      expect((await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: viewer })).status).toBe(403);
      expect(
        (await t.http.post('/api/v1/connectors/test-connection', { type: 'postgresql' }, { token: viewer })).status,
      ).toBe(403);
    });

    it("answers 404 to another tenant on every route of this tenant's connector", async () => {
      for (const res of [
        await t.http.get(`/api/v1/connectors/${id}`, { token: otherTenant }),
        await t.http.put(`/api/v1/connectors/${id}`, { description: 'x' }, { token: otherTenant }),
        await t.http.delete(`/api/v1/connectors/${id}`, { token: otherTenant }),
        await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: otherTenant }),
        await t.http.get(`/api/v1/connectors/${id}/health`, { token: otherTenant }),
        await t.http.get(`/api/v1/connectors/${id}/content`, { token: otherTenant }),
        await t.http.request('POST', `/api/v1/connectors/${id}/upload`, {
          token: otherTenant,
          rawBody: 'a,b\n',
          headers: { 'content-type': 'text/csv' },
        }),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('CONNECTOR_NOT_FOUND');
      }
      expect((await t.http.get('/api/v1/connectors', { token: otherTenant })).body.data).toEqual([]);
      expect((await t.http.get(`/api/v1/connectors/${id}`, { token: admin })).body.description).toBe('');
    });
  });

  describe('probes', () => {
    it('tests a saved connector for real and records the outcome', async () => {
      const id = (await t.http.post('/api/v1/connectors', pgConnector(t, 'Probe me'), { token: admin })).body.id;
      expect((await t.http.get(`/api/v1/connectors/${id}/health`, { token: admin })).body).toEqual({
        status: 'unknown',
        lastCheck: null,
        latencyMs: null,
      });
      const res = await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        success: true,
        status: 'active',
        lastError: null,
        details: { serverVersion: expect.stringMatching(/\d+/), database: expect.any(String) },
      });
      expect(res.body.lastTestedAt).toEqual(expect.any(String));
      expect((await t.http.get(`/api/v1/connectors/${id}/health`, { token: admin })).body.status).toBe('healthy');
    });

    it('tests an unsaved configuration, also as a connection string', async () => {
      const url = new URL(t.env.DATABASE_URL!);
      const plain = await t.http.post(
        '/api/v1/connectors/test-connection',
        { ...pgConnector(t, 'x'), name: undefined },
        { token: admin },
      );
      expect(plain.body).toMatchObject({ success: true, status: null });
      const asString = await t.http.post(
        '/api/v1/connectors/test-connection',
        {
          type: 'postgresql',
          connection: `postgresql://postgres:pw@127.0.0.1:${url.port}${url.pathname}?sslmode=disable`,
          ssl: { mode: 'disable' },
        },
        { token: admin },
      );
      expect(asString.body.success).toBe(true);
      const badSsl = await t.http.post(
        '/api/v1/connectors/test-connection',
        { type: 'postgresql', connection: 'postgresql://u@h/d', ssl: { mode: 'prefer' } },
        { token: admin },
      );
      expect(badSsl.status).toBe(400);
      expect(badSsl.body.details).toEqual([expect.objectContaining({ field: 'ssl.mode' })]);
      const sqliteString = await t.http.post(
        '/api/v1/connectors/test-connection',
        { type: 'sqlite', connection: 'file:///etc/passwd' },
        { token: admin },
      );
      expect(sqliteString.status).toBe(400);
      expect(sqliteString.body.details).toEqual([
        { field: 'connection', messages: [expect.stringContaining('postgresql, redshift, mysql')] },
      ]);
    });

    it('reaches a database on this machine as the README shows, and names config.ssl.mode on the way', async () => {
      const local = pgConnector(t, 'Local');
      const { ssl: _ssl, ...withoutSsl } = local.config;
      // A top-level ssl beside config was once accepted and ignored: now refused, naming the right place.
      const misplaced = await t.http.post(
        '/api/v1/connectors/test-connection',
        { type: 'postgresql', config: withoutSsl, ssl: { mode: 'disable' }, authConfig: local.authConfig },
        { token: admin },
      );
      expect(misplaced.status).toBe(400);
      expect(misplaced.body.details).toEqual([
        { field: 'ssl', messages: [expect.stringContaining('set config.ssl.mode instead')] },
      ]);
      const created = await t.http.post('/api/v1/connectors', { ...local, ssl: { mode: 'disable' } }, { token: admin });
      expect(created.status).toBe(400);
      expect(created.body.details[0]).toMatchObject({ field: 'ssl' });

      // TLS is required by default, and the test server speaks none: the message says what to set.
      const strict = await t.http.post(
        '/api/v1/connectors/test-connection',
        { type: 'postgresql', config: withoutSsl, authConfig: local.authConfig },
        { token: admin },
      );
      expect(strict.body).toMatchObject({
        success: false,
        message: expect.stringContaining('set config.ssl.mode to disable'),
      });

      const saved = await t.http.post('/api/v1/connectors', local, { token: admin });
      expect(saved.status).toBe(201);
      expect((await t.http.post(`/api/v1/connectors/${saved.body.id}/test`, {}, { token: admin })).body).toMatchObject({
        success: true,
        status: 'active',
      });
      const moved = await t.http.put(
        `/api/v1/connectors/${saved.body.id}`,
        { ssl: { mode: 'require' } },
        { token: admin },
      );
      expect(moved.status).toBe(400);
      expect(moved.body.details[0]).toMatchObject({ field: 'ssl' });
    });

    it('refuses metadata, private and not-allow-listed loopback addresses before connecting', async () => {
      const listener = await new CountingListener().start('127.0.0.2');
      // The app runs in this process: any dial it made would go through Socket#connect.
      const dial = jest.spyOn(Socket.prototype, 'connect');
      try {
        for (const host of ['169.254.169.254', '10.0.0.1', '127.0.0.2']) {
          dial.mockClear();
          const res = await t.http.post(
            '/api/v1/connectors/test-connection',
            { type: 'postgresql', config: { host, port: listener.port, database: 'x', user: 'x' } },
            { token: admin },
          );
          expect(res.status).toBe(422);
          expect(res.body.code).toBe('ADDRESS_REFUSED');
          expect(res.body.error).toContain(`set SAFE_NETWORK_ALLOW=${host} `);
          const dialled = dial.mock.calls.filter((args) => JSON.stringify(args).includes(host));
          expect({ host, dialled }).toEqual({ host, dialled: [] });
        }
        expect(listener.connections).toBe(0);
      } finally {
        dial.mockRestore();
        await listener.stop();
      }
    });

    it('answers HOST_NOT_FOUND for a host that does not resolve, and a saved one records the failed test', async () => {
      const body = pgConnector(t, 'Nowhere');
      body.config.host = 'sluice-db.invalid';
      const unsaved = await t.http.post(
        '/api/v1/connectors/test-connection',
        { type: body.type, config: body.config, authConfig: body.authConfig },
        { token: admin },
      );
      expect(unsaved.status).toBe(422);
      expect(unsaved.body).toMatchObject({
        code: 'HOST_NOT_FOUND',
        error: expect.stringContaining('sluice-db.invalid'),
      });

      const created = await t.http.post('/api/v1/connectors', body, { token: admin });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'pending', lastError: null });
      const tested = await t.http.post(`/api/v1/connectors/${created.body.id}/test`, {}, { token: admin });
      expect(tested.status).toBe(422);
      expect(tested.body.code).toBe('HOST_NOT_FOUND');
      const after = await t.http.get(`/api/v1/connectors/${created.body.id}`, { token: admin });
      expect(after.body).toMatchObject({
        status: 'error',
        lastError: expect.stringMatching(/^Could not resolve host sluice-db\.invalid\./),
      });
      expect(after.body.lastTestedAt).not.toBeNull();
      const health = await t.http.get(`/api/v1/connectors/${created.body.id}/health`, { token: admin });
      expect(health.body.status).toBe('unhealthy');
      // Any other route that connects answers the same, not a 500.
      const executed = await t.http.post(
        '/api/v1/nl2sql/execute',
        { connectorId: created.body.id, sql: 'SELECT 1' },
        { token: admin },
      );
      expect({ status: executed.status, code: executed.body.code }).toEqual({ status: 422, code: 'HOST_NOT_FOUND' });
    });

    it('opens the circuit after repeated failures and closes it after the cool-down', async () => {
      const port = await freePort();
      const body = { ...pgConnector(t, 'Flaky'), config: { host: '127.0.0.1', port, database: 'x', user: 'x' } };
      const id = (await t.http.post('/api/v1/connectors', body, { token: admin })).body.id;
      for (let i = 0; i < 3; i++) {
        const res = await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin });
        expect(res.body).toMatchObject({ success: false, status: 'error' });
        expect(res.body.message).not.toMatch(/paused/);
        expect(res.body.lastError).toEqual(res.body.message);
      }
      const open = await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin });
      expect(open.body.success).toBe(false);
      expect(open.body.message).toMatch(/paused after 3 failures in a row; next attempt allowed in \d+ s/);
      // Probed until the 2 s cool-down is over: a paused probe neither dials nor extends it.
      const after = await eventually(
        () => t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin }),
        (res) => !/paused/.test(String(res.body.message)),
        10_000,
        { intervalMs: 250, what: 'the circuit to close after its cool-down' },
      );
      expect(after.body).toMatchObject({ success: false, status: 'error' });
      expect(after.body.message).not.toMatch(/paused/);
      expect((await t.http.get(`/api/v1/connectors/${id}/health`, { token: admin })).body.status).toBe('unhealthy');
    });

    it('refuses probes of an inactive connector with 409 until it is active again', async () => {
      const id = (await t.http.post('/api/v1/connectors', pgConnector(t, 'Sleeper'), { token: admin })).body.id;
      expect((await t.http.put(`/api/v1/connectors/${id}`, { status: 'inactive' }, { token: admin })).body.status).toBe(
        'inactive',
      );
      const refused = await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'CONNECTOR_INACTIVE' });
      await t.http.put(`/api/v1/connectors/${id}`, { status: 'active' }, { token: admin });
      expect((await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token: admin })).status).toBe(200);
    });
  });
});
