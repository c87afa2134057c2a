import { Client } from 'pg';
import { ADMIN, AuthSuite, createUser as invite, startAuthSuite } from './helpers/auth-suite';
import { TestApp } from './helpers/test-app';

describe('invitations (e2e)', () => {
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
});
