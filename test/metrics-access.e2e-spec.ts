import { inviteUser } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const SCRAPE_TOKEN = 'prometheus-scrape-token-0123456789';

async function userToken(t: TestApp, admin: string, role: 'viewer' | 'editor'): Promise<string> {
  return (await inviteUser(t, admin, role, { email: `${role}-${Date.now()}@acme.test`, password: 'a-long-passphrase' }))
    .token;
}

describe('GET /metrics access (e2e)', () => {
  describe('with METRICS_TOKEN', () => {
    let t: TestApp;
    let admin: string;
    beforeAll(async () => {
      t = await startTestApp({ METRICS_TOKEN: SCRAPE_TOKEN });
      admin = await t.http.login(ADMIN.email, ADMIN.password);
    });
    afterAll(() => t?.close());

    it('answers 401 without a token and with a wrong one', async () => {
      for (const token of [undefined, `${SCRAPE_TOKEN}x`, SCRAPE_TOKEN.slice(0, -1)]) {
        const res = await t.http.get('/metrics', { token });
        expect(res.status).toBe(401);
        expect(res.text).not.toContain('sluice_http_request_duration_seconds');
      }
    });

    it('serves the scrape token and admins (token or API key)', async () => {
      const key = await t.http.post('/api/v1/api-keys', { name: 'ops', role: 'admin' }, { token: admin });
      for (const token of [SCRAPE_TOKEN, admin, key.body.key]) {
        const res = await t.http.get('/metrics', { token });
        expect(res.status).toBe(200);
        expect(res.text).toContain('sluice_http_request_duration_seconds');
      }
    });

    it('refuses viewers and editors with 403', async () => {
      const viewerKey = await t.http.post('/api/v1/api-keys', { name: 'v', role: 'viewer' }, { token: admin });
      for (const token of [
        await userToken(t, admin, 'viewer'),
        await userToken(t, admin, 'editor'),
        viewerKey.body.key,
      ]) {
        const res = await t.http.get('/metrics', { token });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
    });
  });

  describe('without METRICS_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t?.close());

    it('serves admins only', async () => {
      expect((await t.http.get('/metrics')).status).toBe(401);
      expect((await t.http.get('/metrics', { token: 'anything-at-all-that-is-long' })).status).toBe(401);
      const admin = await t.http.login(ADMIN.email, ADMIN.password);
      expect((await t.http.get('/metrics', { token: admin })).status).toBe(200);
      expect((await t.http.get('/metrics', { token: await userToken(t, admin, 'viewer') })).status).toBe(403);
    });
  });
});
