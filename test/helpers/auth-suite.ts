import { TenantService } from '@sluice/auth/services/tenant.service';
import { startTestApp, TestApp } from './test-app';

export const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };

export interface AuthSuite {
  t: TestApp;
  adminToken: string;
  acmeId: string;
  globex: { id: string; adminToken: string; adminUserId: string };
}

/**
 * The app of the account suites (auth, tokens, invitations): the bootstrap tenant Acme with its
 * admin, and a second tenant Globex with its own admin.
 */
export async function startAuthSuite(): Promise<AuthSuite> {
  // Every invited user signs in once to join; the login limits have their own suite.
  const t = await startTestApp({ LOGIN_RATE_LIMIT_PER_IP: '500' });
  const adminToken = await t.http.login(ADMIN.email, ADMIN.password);
  const acmeId = (await t.http.get('/api/v1/auth/me', { token: adminToken })).body.tenant.id;
  const created = await t.app.get(TenantService).createWithAdmin('Globex', 'boss@globex.test', 'globex-admin-password');
  const globex = {
    id: created.tenant.id,
    adminUserId: created.adminUserId,
    adminToken: await t.http.login('boss@globex.test', 'globex-admin-password'),
  };
  return { t, adminToken, acmeId, globex };
}

/** Invites a user into the admin's tenant; the first sign-in accepts, and the id is the account's. */
export async function createUser(
  suite: Pick<AuthSuite, 't' | 'adminToken'>,
  role: 'admin' | 'editor' | 'viewer',
  email = `${role}-${Date.now()}-${Math.random()}@acme.test`,
) {
  const res = await suite.t.http.post(
    '/api/v1/users',
    { email, password: 'a-long-passphrase', role, name: role },
    { token: suite.adminToken },
  );
  expect(res.status).toBe(201);
  const token = await suite.t.http.login(email, 'a-long-passphrase');
  const me = await suite.t.http.get('/api/v1/auth/me', { token });
  return { id: me.body.user.id as string, email, token };
}

/** A fresh tenant with its admin, for a test that changes tenant-wide state. */
export async function anotherTenant(t: TestApp, label: string) {
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
