import { Client } from 'pg';
import {
  ADMIN,
  anotherTenant as newTenant,
  AuthSuite,
  createUser as invite,
  startAuthSuite,
} from './helpers/auth-suite';
import { startTestApp, TestApp } from './helpers/test-app';

const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

describe('auth (e2e)', () => {
  let suite: AuthSuite;
  let t: TestApp;
  let adminToken: string;
  let acmeId: string;
  let globex: AuthSuite['globex'];

  beforeAll(async () => {
    suite = await startAuthSuite();
    ({ t, adminToken, acmeId, globex } = suite);
  });
  afterAll(() => t?.close());

  const createUser = (role: 'admin' | 'editor' | 'viewer', email?: string) => invite(suite, role, email);
  const anotherTenant = (label: string) => newTenant(t, label);

  describe('login', () => {
    it('returns tokens, the user, the tenant and the role', async () => {
      const res = await t.http.post('/api/v1/auth/login', ADMIN);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: 900,
        user: { email: ADMIN.email },
        tenant: { id: acmeId, name: 'Acme' },
        role: 'admin',
      });
      expect(res.body.refreshToken).toMatch(/^rt_/);
    });

    it('gives the same 401 body for a wrong password and for an unknown user', async () => {
      const wrong = await t.http.post('/api/v1/auth/login', { email: ADMIN.email, password: 'not-the-password' });
      const unknown = await t.http.post('/api/v1/auth/login', {
        email: 'nobody@acme.test',
        password: 'not-the-password',
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(withoutRequestId(wrong.body)).toEqual(withoutRequestId(unknown.body));
      expect(wrong.body).toMatchObject({ statusCode: 401, code: 'INVALID_CREDENTIALS' });
    });

    it('lists each invalid field with a 400', async () => {
      const res = await t.http.post('/api/v1/auth/login', { email: 'not-an-email', password: '', admin: true });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const fields = (res.body.details as Array<{ field: string }>).map((d) => d.field).sort();
      expect(fields).toEqual(['admin', 'email', 'password']);
    });

    it('refuses a tenant the user does not belong to', async () => {
      const res = await t.http.post('/api/v1/auth/login', { ...ADMIN, tenant: 'Globex' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('TENANT_FORBIDDEN');
    });
  });

  describe('roles', () => {
    it('refuses a viewer and an editor on admin routes with 403', async () => {
      const viewer = await createUser('viewer');
      const editor = await createUser('editor');
      for (const token of [viewer.token, editor.token]) {
        expect((await t.http.get('/api/v1/users', { token })).status).toBe(403);
        expect((await t.http.post('/api/v1/api-keys', { name: 'x', role: 'viewer' }, { token })).status).toBe(403);
        const del = await t.http.delete(`/api/v1/users/${viewer.id}`, { token });
        expect(del.status).toBe(403);
        expect(del.body.code).toBe('FORBIDDEN');
      }
      expect((await t.http.get('/api/v1/auth/me', { token: viewer.token })).body.role).toBe('viewer');
    });

    it('applies a role change at once, without a new token', async () => {
      const user = await createUser('admin');
      expect((await t.http.get('/api/v1/users', { token: user.token })).status).toBe(200);
      await t.http.put(`/api/v1/users/${user.id}`, { role: 'viewer' }, { token: adminToken });
      expect((await t.http.get('/api/v1/users', { token: user.token })).status).toBe(403);
    });

    it('locks out a disabled user, token and password alike', async () => {
      const user = await createUser('editor');
      await t.http.put(`/api/v1/users/${user.id}`, { disabled: true }, { token: adminToken });
      expect((await t.http.get('/api/v1/auth/me', { token: user.token })).status).toBe(401);
      const login = await t.http.post('/api/v1/auth/login', { email: user.email, password: 'a-long-passphrase' });
      expect(login.status).toBe(401);
      expect(login.body.code).toBe('INVALID_CREDENTIALS');
    });
  });

  describe('tenancy', () => {
    it('answers 404 when tenant A reads, changes or removes a user of tenant B', async () => {
      const path = `/api/v1/users/${globex.adminUserId}`;
      const read = await t.http.get(path, { token: adminToken });
      expect(read.status).toBe(404);
      expect(read.body.code).toBe('USER_NOT_FOUND');
      expect((await t.http.put(path, { name: 'hijacked' }, { token: adminToken })).status).toBe(404);
      expect((await t.http.delete(path, { token: adminToken })).status).toBe(404);
      // Tenant B still sees its admin unchanged.
      const own = await t.http.get(path, { token: globex.adminToken });
      expect(own.status).toBe(200);
      expect(own.body.name).toBe('Administrator');
    });

    it('lists only the users of the caller tenant', async () => {
      const list = await t.http.get('/api/v1/users?limit=100', { token: globex.adminToken });
      expect(list.body.data.map((u: { email: string }) => u.email)).toEqual(['boss@globex.test']);
    });

    it('answers 403 for X-Tenant-Id of a tenant the user is not in', async () => {
      const res = await t.http.get('/api/v1/auth/me', { token: adminToken, headers: { 'x-tenant-id': globex.id } });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('TENANT_FORBIDDEN');
      const malformed = await t.http.get('/api/v1/auth/me', {
        token: adminToken,
        headers: { 'x-tenant-id': "x' OR 1=1" },
      });
      expect(malformed.status).toBe(400);
    });

    it('switches tenant with X-Tenant-Id for a user in both, with the role of each', async () => {
      // A second tenant of this test's own: Globex keeps only the users beforeAll gave it.
      const other = await anotherTenant('switch');
      const email = `both-${Date.now()}@example.test`;
      await t.http.post(
        '/api/v1/users',
        { email, password: 'a-long-passphrase', role: 'viewer' },
        { token: adminToken },
      );
      const invited = await t.http.post(
        '/api/v1/users',
        { email, password: 'ignored-password', role: 'editor' },
        { token: other.adminToken },
      );
      expect(invited.status).toBe(201);
      const token = await t.http.login(email, 'a-long-passphrase');
      const accepted = await t.http.post(`/api/v1/invitations/${invited.body.id}/accept`, undefined, { token });
      expect(accepted.status).toBe(200);
      const inAcme = await t.http.get('/api/v1/auth/me', { token });
      const inGlobex = await t.http.get('/api/v1/auth/me', { token, headers: { 'x-tenant-id': other.id } });
      expect(inAcme.body).toMatchObject({ tenant: { id: acmeId }, role: 'viewer' });
      expect(inGlobex.body).toMatchObject({ tenant: { id: other.id }, role: 'editor' });
      expect(inGlobex.body.tenants).toHaveLength(2);

      // Once its owner has joined both, neither tenant's admin may take over the account;
      // each may still set the role here.
      const id = inAcme.body.user.id;
      for (const change of [{ password: 'taken-over-passphrase' }, { disabled: true }, { name: 'renamed' }]) {
        const res = await t.http.put(`/api/v1/users/${id}`, change, { token: other.adminToken });
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('ACCOUNT_SHARED');
      }
      expect((await t.http.post('/api/v1/auth/login', { email, password: 'taken-over-passphrase' })).status).toBe(401);
      const role = await t.http.put(`/api/v1/users/${id}`, { role: 'viewer' }, { token: other.adminToken });
      expect(role.status).toBe(200);
      const after = await t.http.get('/api/v1/auth/me', { token, headers: { 'x-tenant-id': other.id } });
      expect(after.body.role).toBe('viewer');
    });
  });

  describe('api keys', () => {
    it('shows the key once, stores only its hash, and authenticates with either header', async () => {
      const created = await t.http.post(
        '/api/v1/api-keys',
        { name: 'reporting', role: 'viewer' },
        { token: adminToken },
      );
      expect(created.status).toBe(201);
      const key: string = created.body.key;
      expect(key).toMatch(/^sk_[0-9a-z]{40}$/);
      expect(created.body.prefix).toBe(key.slice(0, 11));

      const list = await t.http.get('/api/v1/api-keys', { token: adminToken });
      expect(list.text).not.toContain(key);
      const db = new Client({ connectionString: t.env.DATABASE_URL });
      await db.connect();
      const stored = await db.query('SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
      await db.end();
      expect(stored.rows[0].key_hash).not.toContain(key.slice(3));

      const viaBearer = await t.http.get('/api/v1/auth/me', { token: key });
      const viaHeader = await t.http.get('/api/v1/auth/me', { headers: { 'x-api-key': key } });
      expect(viaBearer.body).toMatchObject({ via: 'api_key', role: 'viewer', tenant: { id: acmeId } });
      expect(viaHeader.status).toBe(200);
      expect(viaBearer.body.user).toBeNull();
      // A viewer key is a viewer.
      expect((await t.http.get('/api/v1/users', { token: key })).status).toBe(403);
    });

    it('answers 401 for a revoked key', async () => {
      const created = await t.http.post('/api/v1/api-keys', { name: 'temp', role: 'admin' }, { token: adminToken });
      const key: string = created.body.key;
      expect((await t.http.get('/api/v1/users', { token: key })).status).toBe(200);
      const revoked = await t.http.delete(`/api/v1/api-keys/${created.body.id}`, { token: adminToken });
      expect(revoked.status).toBe(200);
      expect(revoked.body.revokedAt).not.toBeNull();
      const res = await t.http.get('/api/v1/users', { token: key });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('API_KEY_INVALID');
    });

    it('keeps keys within their tenant', async () => {
      const created = await t.http.post('/api/v1/api-keys', { name: 'acme', role: 'admin' }, { token: adminToken });
      expect((await t.http.delete(`/api/v1/api-keys/${created.body.id}`, { token: globex.adminToken })).status).toBe(
        404,
      );
      const res = await t.http.get('/api/v1/users', {
        headers: { 'x-api-key': created.body.key, 'x-tenant-id': globex.id },
      });
      expect(res.status).toBe(403);
      expect((await t.http.get('/api/v1/api-keys', { token: globex.adminToken })).body.data).toHaveLength(0);
    });

    it('refuses an expiry in the past', async () => {
      const res = await t.http.post(
        '/api/v1/api-keys',
        { name: 'old', role: 'viewer', expiresAt: '2020-01-01T00:00:00Z' },
        { token: adminToken },
      );
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('INVALID_EXPIRY');
    });
  });

  describe('users', () => {
    it('pages through users with a cursor and filters them', async () => {
      for (let i = 0; i < 5; i++) await createUser('viewer', `page-${i}@paging.test`);
      const first = await t.http.get('/api/v1/users?limit=2&q=paging', { token: adminToken });
      expect(first.body.pagination).toMatchObject({ total: 5, limit: 2, hasMore: true });
      const seen = first.body.data.map((u: { email: string }) => u.email);
      let cursor = first.body.pagination.nextCursor;
      while (cursor) {
        const next = await t.http.get(`/api/v1/users?limit=2&q=paging&cursor=${cursor}`, { token: adminToken });
        seen.push(...next.body.data.map((u: { email: string }) => u.email));
        cursor = next.body.pagination.nextCursor;
      }
      expect(seen.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `page-${i}@paging.test`));
      expect((await t.http.get('/api/v1/users?cursor=garbage', { token: adminToken })).body.code).toBe(
        'INVALID_CURSOR',
      );
      expect((await t.http.get('/api/v1/users?limit=101', { token: adminToken })).status).toBe(400);
    });

    it('answers 409 when the e-mail is already in the tenant', async () => {
      const res = await t.http.post(
        '/api/v1/users',
        { email: ADMIN.email.toUpperCase(), password: 'a-long-passphrase', role: 'viewer' },
        { token: adminToken },
      );
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('USER_EXISTS');
    });

    it('never returns password hashes', async () => {
      const list = await t.http.get('/api/v1/users?limit=100', { token: adminToken });
      expect(list.text).not.toMatch(/argon2|passwordHash/);
    });

    it('refuses to remove, demote or disable the last admin, and allows it once another admin exists', async () => {
      // A tenant of this test's own: it demotes that tenant's first admin.
      const other = await anotherTenant('last-admin');
      const me = (await t.http.get('/api/v1/auth/me', { token: other.adminToken })).body.user.id;
      for (const attempt of [
        () => t.http.delete(`/api/v1/users/${me}`, { token: other.adminToken }),
        () => t.http.put(`/api/v1/users/${me}`, { role: 'editor' }, { token: other.adminToken }),
        () => t.http.put(`/api/v1/users/${me}`, { disabled: true }, { token: other.adminToken }),
      ]) {
        const res = await attempt();
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('LAST_ADMIN');
      }
      const secondEmail = `second@${other.domain}`;
      await t.http.post(
        '/api/v1/users',
        { email: secondEmail, password: 'a-long-passphrase', role: 'admin' },
        { token: other.adminToken },
      );
      // The second admin's first sign-in accepts the invitation.
      const secondToken = await t.http.login(secondEmail, 'a-long-passphrase');
      const secondId = (await t.http.get('/api/v1/auth/me', { token: secondToken })).body.user.id;
      expect((await t.http.put(`/api/v1/users/${me}`, { role: 'editor' }, { token: other.adminToken })).status).toBe(
        200,
      );
      // Now the second admin is the last one.
      const res = await t.http.delete(`/api/v1/users/${secondId}`, { token: secondToken });
      expect(res.status).toBe(409);
    });
  });
});

describe('login rate limits (e2e)', () => {
  let t: TestApp;

  // A fresh app (and Redis prefix) per test: each counts its own attempts from zero.
  beforeEach(async () => {
    t = await startTestApp({
      LOGIN_RATE_LIMIT_PER_ACCOUNT: '3',
      LOGIN_RATE_LIMIT_PER_IP: '6',
      LOGIN_RATE_LIMIT_WINDOW_SECONDS: '60',
    });
  });
  afterEach(() => t?.close());

  it('answers 429 with Retry-After after repeated failed logins on one account', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await t.http.post('/api/v1/auth/login', { email: ADMIN.email, password: `wrong-${i}` })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    const blocked = await t.http.post('/api/v1/auth/login', ADMIN);
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('RATE_LIMITED');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits attempts per IP across accounts', async () => {
    const statuses: number[] = [];
    // One attempt per account, far under the per-account limit of 3: only the per-IP limit of 6 applies.
    for (let i = 0; i < 8; i++) {
      statuses.push(
        (await t.http.post('/api/v1/auth/login', { email: `other-${i}@acme.test`, password: 'wrong' })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    // Even the right password of an account not yet tried is refused from this IP now.
    expect((await t.http.post('/api/v1/auth/login', ADMIN)).status).toBe(429);
  });
});
