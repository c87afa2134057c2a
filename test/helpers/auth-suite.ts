import { createTenant, inviteUser, SEED_ADMIN } from './seed';
import { startTestApp, TestApp } from './test-app';

export const ADMIN = SEED_ADMIN;

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
  const created = await createTenant(t, {
    name: 'Globex',
    email: 'boss@globex.test',
    password: 'globex-admin-password',
  });
  const globex = { id: created.id, adminUserId: created.admin.id, adminToken: created.admin.token };
  return { t, adminToken, acmeId, globex };
}

/** Invites a user into the admin's tenant; the first sign-in accepts, and the id is the account's. */
export async function createUser(
  suite: Pick<AuthSuite, 't' | 'adminToken'>,
  role: 'admin' | 'editor' | 'viewer',
  email = `${role}-${Date.now()}-${Math.random()}@acme.test`,
) {
  const user = await inviteUser(suite.t, suite.adminToken, role, { email, password: 'a-long-passphrase' }, role);
  return { id: user.id, email, token: user.token };
}

/** A fresh tenant with its admin, for a test that changes tenant-wide state. */
export async function anotherTenant(t: TestApp, label: string) {
  const suffix = `${label}-${Math.random().toString(36).slice(2, 8)}`;
  const name = `Tenant ${suffix}`;
  const domain = `${suffix}.test`;
  const created = await createTenant(t, { name, email: `boss@${domain}`, password: 'tenant-admin-password' });
  return { id: created.id, name, domain, adminUserId: created.admin.id, adminToken: created.admin.token };
}
