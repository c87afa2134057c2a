import { TenantService } from '@sluice/auth/services/tenant.service';
import { sign } from 'jsonwebtoken';
import { Client } from 'pg';
import { startTestApp, TestApp } from './helpers/test-app';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });

describe('auth (e2e)', () => {
  let t: TestApp;
  let adminToken: string;
  let acmeId: string;
  let globex: { id: string; adminToken: string; adminUserId: string };

  beforeAll(async () => {
    // Every invited user signs in once to join; the login limits have their own suite below.
    t = await startTestApp({ LOGIN_RATE_LIMIT_PER_IP: '500' });
    adminToken = await t.http.login(ADMIN.email, ADMIN.password);
    acmeId = (await t.http.get('/api/v1/auth/me', { token: adminToken })).body.tenant.id;
    const created = await t.app
      .get(TenantService)
      .createWithAdmin('Globex', 'boss@globex.test', 'globex-admin-password');
    globex = {
      id: created.tenant.id,
      adminUserId: created.adminUserId,
      adminToken: await t.http.login('boss@globex.test', 'globex-admin-password'),
    };
  });
  afterAll(() => t?.close());

  async function createUser(
    role: 'admin' | 'editor' | 'viewer',
    email = `${role}-${Date.now()}-${Math.random()}@acme.test`,
  ) {
    const res = await t.http.post(
      '/api/v1/users',
      { email, password: 'a-long-passphrase', role, name: role },
      { token: adminToken },
    );
    expect(res.status).toBe(201);
    // The answer is the invitation; the first sign-in accepts it and the user id is the account's.
    const token = await t.http.login(email, 'a-long-passphrase');
    const me = await t.http.get('/api/v1/auth/me', { token });
    return { id: me.body.user.id as string, email, token };
  }

  /** A fresh tenant with its admin, for a test that changes tenant-wide state. */
  async function anotherTenant(label: string) {
    const suffix = `${label}-${Math.random().toString(36).slice(2, 8)}`;
    const name = `Tenant ${suffix}`;
    const domain = `${suffix}.test`;
    const created = await t.app.get(TenantService).createWithAdmin(name, `boss@${domain}`, 'tenant-admin-password');
    return {
      id: created.tenant.id,
      name,
      domain,
      adminUserId: created.adminUserId,
      adminToken: await t.http.login(`boss@${domain}`, 'tenant-admin-password'),
    };
  }

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

  describe('tokens', () => {
    it('accepts a valid access token on /auth/me', async () => {
      const res = await t.http.get('/api/v1/auth/me', { token: adminToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        user: { email: ADMIN.email },
        tenant: { id: acmeId },
        role: 'admin',
        via: 'jwt',
      });
    });

    it('answers 401 without a token', async () => {
      const res = await t.http.get('/api/v1/auth/me');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    });

    it('answers 401 TOKEN_EXPIRED for an expired token', async () => {
      const me = await t.http.get('/api/v1/auth/me', { token: adminToken });
      const expired = sign(
        { sub: me.body.user.id, tid: acmeId, typ: 'access', exp: Math.floor(Date.now() / 1000) - 60 },
        t.env.JWT_SECRET,
        { issuer: 'sluice', audience: 'sluice-api' },
      );
      const res = await t.http.get('/api/v1/auth/me', { token: expired });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('TOKEN_EXPIRED');
    });

    it('answers 401 for a tampered token and for one signed with another key', async () => {
      const [header, payload, signature] = adminToken.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forgedPayload = Buffer.from(JSON.stringify({ ...claims, tid: globex.id })).toString('base64url');
      const tampered = `${header}.${forgedPayload}.${signature}`;
      const otherKey = sign(
        { sub: claims.sub, tid: claims.tid, typ: 'access' },
        'another-secret-another-secret-another',
        {
          issuer: 'sluice',
          audience: 'sluice-api',
          expiresIn: 600,
        },
      );
      for (const token of [tampered, otherKey, `${adminToken}x`, 'not-a-jwt']) {
        const res = await t.http.get('/api/v1/auth/me', { token });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('TOKEN_INVALID');
      }
    });

    it('refuses a correctly signed token without exp, or with a lifetime longer than access tokens get', async () => {
      const [, payload] = adminToken.split('.');
      const { sub, tid, gen } = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const options = { issuer: 'sluice', audience: 'sluice-api' };
      const noExp = sign({ sub, tid, typ: 'access', gen }, t.env.JWT_SECRET, options);
      const noIat = sign({ sub, tid, typ: 'access', gen }, t.env.JWT_SECRET, {
        ...options,
        noTimestamp: true,
        expiresIn: 600,
      });
      const tenYears = sign({ sub, tid, typ: 'access', gen }, t.env.JWT_SECRET, { ...options, expiresIn: '3650d' });
      const good = sign({ sub, tid, typ: 'access', gen }, t.env.JWT_SECRET, { ...options, expiresIn: 600 });
      for (const token of [noExp, noIat, tenYears]) {
        const res = await t.http.get('/api/v1/auth/me', { token });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('TOKEN_INVALID');
      }
      expect((await t.http.get('/api/v1/auth/me', { token: good })).status).toBe(200);
    });

    it('ends access tokens at once on a password change, a disable and a sign-out everywhere', async () => {
      // A password change by an admin: the old token goes, a new sign-in works.
      const changed = await createUser('editor');
      expect((await t.http.get('/api/v1/auth/me', { token: changed.token })).status).toBe(200);
      const put = await t.http.put(
        `/api/v1/users/${changed.id}`,
        { password: 'a-new-passphrase' },
        { token: adminToken },
      );
      expect(put.status).toBe(200);
      const stale = await t.http.get('/api/v1/auth/me', { token: changed.token });
      expect(stale.status).toBe(401);
      expect(stale.body.code).toBe('TOKEN_REVOKED');
      const fresh = await t.http.login(changed.email, 'a-new-passphrase');
      expect((await t.http.get('/api/v1/auth/me', { token: fresh })).status).toBe(200);

      // A disable, then enable again: tokens from before the disable stay dead.
      const disabled = await createUser('viewer');
      await t.http.put(`/api/v1/users/${disabled.id}`, { disabled: true }, { token: adminToken });
      await t.http.put(`/api/v1/users/${disabled.id}`, { disabled: false }, { token: adminToken });
      expect((await t.http.get('/api/v1/auth/me', { token: disabled.token })).status).toBe(401);

      // Signing out everywhere ends every access token and every refresh token of the account.
      const user = await createUser('viewer');
      const other = await t.http.post('/api/v1/auth/login', { email: user.email, password: 'a-long-passphrase' });
      expect((await t.http.post('/api/v1/auth/logout-all', undefined, { token: user.token })).status).toBe(204);
      for (const token of [user.token, other.body.accessToken]) {
        expect((await t.http.get('/api/v1/auth/me', { token })).status).toBe(401);
      }
      expect((await t.http.post('/api/v1/auth/refresh', { refreshToken: other.body.refreshToken })).status).toBe(401);
      // Other users keep their sessions.
      expect((await t.http.get('/api/v1/auth/me', { token: adminToken })).status).toBe(200);
    });

    it('rotates refresh tokens and treats a reused one as theft', async () => {
      const login = await t.http.post('/api/v1/auth/login', ADMIN);
      const first = await t.http.post('/api/v1/auth/refresh', { refreshToken: login.body.refreshToken });
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(login.body.refreshToken);

      const replay = await t.http.post('/api/v1/auth/refresh', { refreshToken: login.body.refreshToken });
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('REFRESH_TOKEN_INVALID');
      // The replay revoked the whole family, including the token issued by the first refresh.
      const after = await t.http.post('/api/v1/auth/refresh', { refreshToken: first.body.refreshToken });
      expect(after.status).toBe(401);
    });

    it('revokes a refresh token on logout', async () => {
      const login = await t.http.post('/api/v1/auth/login', ADMIN);
      expect((await t.http.post('/api/v1/auth/logout', { refreshToken: login.body.refreshToken })).status).toBe(204);
      expect((await t.http.post('/api/v1/auth/refresh', { refreshToken: login.body.refreshToken })).status).toBe(401);
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

  describe('invitations', () => {
    const invite = (email: string, role: string, token: string, password = 'a-long-passphrase') =>
      t.http.post('/api/v1/users', { email, password, role, name: 'Invited' }, { token });
    const tenantsOf = async (token: string) =>
      (await t.http.get('/api/v1/auth/me', { token })).body.tenants.map((m: { id: string }) => m.id);
    /** What may differ between two invitations: ids, e-mails and times. */
    const shapeOf = (body: Record<string, unknown>) => ({
      ...body,
      id: 'id',
      email: 'email',
      createdAt: 'time',
      expiresAt: 'time',
    });

    it("answers another tenant's admin the same for an existing account as for a new e-mail, and joins nobody", async () => {
      const existing = await invite(ADMIN.email, 'editor', globex.adminToken, 'another-long-passphrase');
      const fresh = await invite(`fresh-${Date.now()}@example.test`, 'editor', globex.adminToken);
      expect(existing.status).toBe(201);
      expect(fresh.status).toBe(201);
      expect(Object.keys(existing.body).sort()).toEqual(Object.keys(fresh.body).sort());
      expect(shapeOf(existing.body)).toEqual(shapeOf(fresh.body));
      expect(existing.body).toMatchObject({ email: ADMIN.email, role: 'editor', status: 'pending', respondedAt: null });
      for (const leak of ['name', 'lastLoginAt', 'disabled', 'userId', 'tenants']) {
        expect(existing.body).not.toHaveProperty(leak);
      }
      expect(existing.text).not.toContain(acmeId);

      // Acme's admin is in Acme only, and Globex sees invitations, not users.
      expect(await tenantsOf(adminToken)).toEqual([acmeId]);
      const globexUsers = await t.http.get('/api/v1/users?limit=100', { token: globex.adminToken });
      expect(globexUsers.body.data.map((u: { email: string }) => u.email)).not.toContain(ADMIN.email);
      const pending = await t.http.get('/api/v1/users/invitations?status=pending&limit=100', {
        token: globex.adminToken,
      });
      expect(pending.status).toBe(200);
      expect(pending.body.data.map((i: { id: string }) => i.id)).toEqual(
        expect.arrayContaining([existing.body.id, fresh.body.id]),
      );
      // Acme's admin password was not touched by the invitation.
      expect((await t.http.post('/api/v1/auth/login', ADMIN)).status).toBe(200);
      // Inviting the same e-mail twice is refused within Globex, saying nothing about the account.
      const again = await invite(ADMIN.email, 'viewer', globex.adminToken);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('INVITATION_PENDING');
    });

    it('leaves an invited editor to its own tenant: Acme may still reset and disable it', async () => {
      const editor = await createUser('editor');
      expect((await invite(editor.email, 'admin', globex.adminToken)).status).toBe(201);
      const reset = await t.http.put(
        `/api/v1/users/${editor.id}`,
        { password: 'reset-by-acme-1' },
        { token: adminToken },
      );
      expect(reset.status).toBe(200);
      const disabled = await t.http.put(`/api/v1/users/${editor.id}`, { disabled: true }, { token: adminToken });
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabled).toBe(true);
    });

    it('joins on accept, with the role of the invitation, and only once', async () => {
      const user = await createUser('viewer');
      const sent = await invite(user.email, 'editor', globex.adminToken);
      const mine = await t.http.get('/api/v1/invitations', { token: user.token });
      expect(mine.status).toBe(200);
      expect(mine.body.data).toEqual([
        expect.objectContaining({ id: sent.body.id, tenant: { id: globex.id, name: 'Globex' }, role: 'editor' }),
      ]);
      // Not a member before accepting.
      const before = await t.http.get('/api/v1/auth/me', { token: user.token, headers: { 'x-tenant-id': globex.id } });
      expect(before.status).toBe(403);

      const accepted = await t.http.post(`/api/v1/invitations/${sent.body.id}/accept`, undefined, {
        token: user.token,
      });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({ id: sent.body.id, status: 'accepted' });
      const inGlobex = await t.http.get('/api/v1/auth/me', {
        token: user.token,
        headers: { 'x-tenant-id': globex.id },
      });
      expect(inGlobex.body).toMatchObject({ tenant: { id: globex.id }, role: 'editor' });
      const listed = await t.http.get(`/api/v1/users?q=${encodeURIComponent(user.email)}`, {
        token: globex.adminToken,
      });
      expect(listed.body.data).toHaveLength(1);
      const again = await t.http.post(`/api/v1/invitations/${sent.body.id}/accept`, undefined, { token: user.token });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('INVITATION_NOT_PENDING');
      expect((await t.http.get('/api/v1/invitations', { token: user.token })).body.data).toEqual([]);
    });

    it('keeps a declined or revoked invitation out, and another account cannot answer it', async () => {
      const user = await createUser('viewer');
      const stranger = await createUser('viewer');
      const declined = await invite(user.email, 'editor', globex.adminToken);
      const theirs = await t.http.post(`/api/v1/invitations/${declined.body.id}/accept`, undefined, {
        token: stranger.token,
      });
      expect(theirs.status).toBe(404);
      const decline = await t.http.post(`/api/v1/invitations/${declined.body.id}/decline`, undefined, {
        token: user.token,
      });
      expect(decline.status).toBe(200);
      expect(decline.body.status).toBe('declined');
      expect(await tenantsOf(user.token)).toEqual([acmeId]);

      // Declined, Globex may invite again; then revoke it before it is answered.
      const second = await invite(user.email, 'viewer', globex.adminToken);
      expect(second.status).toBe(201);
      const revoked = await t.http.delete(`/api/v1/users/invitations/${second.body.id}`, { token: globex.adminToken });
      expect(revoked.status).toBe(200);
      expect(revoked.body.status).toBe('revoked');
      expect((await t.http.get('/api/v1/invitations', { token: user.token })).body.data).toEqual([]);
      const late = await t.http.post(`/api/v1/invitations/${second.body.id}/accept`, undefined, { token: user.token });
      expect(late.status).toBe(409);
      expect(await tenantsOf(user.token)).toEqual([acmeId]);

      // Acme cannot see or revoke Globex's invitations.
      expect((await t.http.delete(`/api/v1/users/invitations/${second.body.id}`, { token: adminToken })).status).toBe(
        404,
      );
      const acmeList = await t.http.get('/api/v1/users/invitations?limit=100', { token: adminToken });
      expect(acmeList.body.data.map((i: { id: string }) => i.id)).not.toContain(second.body.id);
    });

    it('lets a new account in at its first sign-in, and a revoked one never', async () => {
      const email = `newcomer-${Date.now()}@example.test`;
      expect((await invite(email, 'editor', globex.adminToken)).status).toBe(201);
      const token = await t.http.login(email, 'a-long-passphrase');
      const me = await t.http.get('/api/v1/auth/me', { token });
      expect(me.body).toMatchObject({ tenant: { id: globex.id }, role: 'editor' });

      const gone = `revoked-${Date.now()}@example.test`;
      const sent = await invite(gone, 'editor', globex.adminToken);
      await t.http.delete(`/api/v1/users/invitations/${sent.body.id}`, { token: globex.adminToken });
      expect((await t.http.post('/api/v1/auth/login', { email: gone, password: 'a-long-passphrase' })).status).toBe(
        401,
      );
    });

    it('cannot accept an expired invitation, and no longer lists it', async () => {
      const user = await createUser('viewer');
      const sent = await invite(user.email, 'editor', globex.adminToken);
      const db = new Client({ connectionString: t.env.DATABASE_URL });
      await db.connect();
      await db.query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [sent.body.id]);
      await db.end();
      expect((await t.http.get('/api/v1/invitations', { token: user.token })).body.data).toEqual([]);
      const late = await t.http.post(`/api/v1/invitations/${sent.body.id}/accept`, undefined, { token: user.token });
      expect(late.status).toBe(409);
      expect(late.body.code).toBe('INVITATION_EXPIRED');
      expect(await tenantsOf(user.token)).toEqual([acmeId]);
    });

    it('answers 201 to two tenants inviting the same new e-mail at once', async () => {
      const email = `raced-${Date.now()}@example.test`;
      const [acme, globexInvite] = await Promise.all([
        invite(email, 'viewer', adminToken),
        invite(email, 'viewer', globex.adminToken),
      ]);
      expect([acme.status, globexInvite.status]).toEqual([201, 201]);
      // Whichever created the account is accepted by its first sign-in; the other waits for an answer.
      const token = await t.http.login(email, 'a-long-passphrase');
      expect(await tenantsOf(token)).toHaveLength(1);
      expect((await t.http.get('/api/v1/invitations', { token })).body.data).toHaveLength(1);
    });

    it('answers invitations only for a person, not an API key', async () => {
      const key = await t.http.post('/api/v1/api-keys', { name: 'bot', role: 'viewer' }, { token: adminToken });
      const res = await t.http.get('/api/v1/invitations', { token: key.body.key });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('NEEDS_USER');
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
