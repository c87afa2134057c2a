import { sign } from 'jsonwebtoken';
import { ADMIN, AuthSuite, createUser as invite, startAuthSuite } from './helpers/auth-suite';
import { TestApp } from './helpers/test-app';

describe('tokens (e2e)', () => {
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
});
