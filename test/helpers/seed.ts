import { TenantService } from '@sluice/auth';
import { rmSync } from 'node:fs';
import {
  chinookSqliteCopy,
  dropMariadbDatabase,
  loadChinookMariadb,
  loadChinookPostgres,
  localPostgresConnector,
} from './chinook';
import { TestApp } from './test-app';
import { dropDatabase } from './test-env';

/** An account of a seeded tenant, signed in. */
export interface SeededUser {
  id: string;
  email: string;
  password: string;
  /** An access token of the account in its tenant. */
  token: string;
}

export interface Credentials {
  email: string;
  password: string;
}

/**
 * What most suites start from: the bootstrap tenant (Acme) with an admin, an editor and a viewer,
 * and a second tenant (Globex) with its own admin, to check that nothing of one shows in the other.
 */
export interface Seed {
  tenant: { id: string; name: string; admin: SeededUser; editor: SeededUser; viewer: SeededUser };
  other: { id: string; name: string; admin: SeededUser };
}

export interface SeedOptions {
  /** The editor's account in the first tenant; default erin@acme.test. */
  editor?: Credentials;
  /** The viewer's account in the first tenant; default vic@acme.test. */
  viewer?: Credentials;
  /** The second tenant and its admin; default Globex with boss@globex.test. */
  other?: Credentials & { name: string };
}

/** The bootstrap admin every test app starts with (see test-env.ts). */
export const SEED_ADMIN: Credentials = { email: 'admin@acme.test', password: 'acme-admin-password' };
export const SEED_EDITOR: Credentials = { email: 'erin@acme.test', password: 'editor-passphrase' };
export const SEED_VIEWER: Credentials = { email: 'vic@acme.test', password: 'viewer-passphrase' };
export const SEED_OTHER = { name: 'Globex', email: 'boss@globex.test', password: 'globex-passphrase' };

/** Signs in and reads /auth/me: the account and the tenant the token is for. */
async function signIn(
  t: TestApp,
  who: Credentials,
): Promise<{ user: SeededUser; tenant: { id: string; name: string } }> {
  const token = await t.http.login(who.email, who.password);
  const me = await t.http.get('/api/v1/auth/me', { token });
  if (me.status !== 200) throw new Error(`GET /auth/me of ${who.email} failed: ${me.status} ${me.text}`);
  return {
    user: { id: me.body.user.id as string, email: who.email, password: who.password, token },
    tenant: { id: me.body.tenant.id as string, name: me.body.tenant.name as string },
  };
}

/**
 * Adds a user to the admin's tenant the way an admin does: POST /users makes an invitation, and
 * the account's first sign-in accepts it.
 */
export async function inviteUser(
  t: TestApp,
  adminToken: string,
  role: 'admin' | 'editor' | 'viewer',
  who: Credentials,
  name?: string,
): Promise<SeededUser> {
  const res = await t.http.post(
    '/api/v1/users',
    { email: who.email, password: who.password, role, ...(name !== undefined ? { name } : {}) },
    { token: adminToken },
  );
  if (res.status !== 201) throw new Error(`POST /users for ${who.email} failed: ${res.status} ${res.text}`);
  return (await signIn(t, who)).user;
}

/**
 * A second tenant with its admin. There is no HTTP route that creates a tenant (only the CLI and
 * the first start do), so this goes through the same service the CLI calls.
 */
export async function createTenant(
  t: TestApp,
  spec: Credentials & { name: string },
): Promise<{ id: string; name: string; admin: SeededUser }> {
  const created = await t.app.get(TenantService).createWithAdmin(spec.name, spec.email, spec.password);
  const { user: admin } = await signIn(t, spec);
  return { id: created.tenant.id, name: created.tenant.name, admin };
}

/** Seeds a started test app; see {@link Seed}. */
export async function seed(t: TestApp, options: SeedOptions = {}): Promise<Seed> {
  const { user: admin, tenant } = await signIn(t, SEED_ADMIN);
  const editor = await inviteUser(t, admin.token, 'editor', options.editor ?? SEED_EDITOR);
  const viewer = await inviteUser(t, admin.token, 'viewer', options.viewer ?? SEED_VIEWER);
  const other = await createTenant(t, options.other ?? SEED_OTHER);
  return {
    tenant: { ...tenant, admin, editor, viewer },
    other,
  };
}

export type ChinookEngine = 'postgresql' | 'mariadb' | 'sqlite';

export interface ChinookConnectors {
  /** Connector ids by engine, for the engines asked for. */
  ids: Partial<Record<ChinookEngine, string>>;
  /** Where each engine's Chinook is, for a test that reads or changes it behind the API. */
  postgresUrl: string;
  mariadbDatabase: string;
  sqlitePath?: string;
  /** Drops the scratch Chinook databases and the SQLite copy. */
  cleanup(): Promise<void>;
}

export interface ChinookConnectorOptions {
  /** Which engines; default all three. */
  engines?: ChinookEngine[];
  /**
   * A directory the app allows SQLite files in (SQLITE_ALLOWED_DIRS) for the Chinook copy. The
   * app must also allow 127.0.0.1 (SAFE_NETWORK_ALLOW) for PostgreSQL and MariaDB.
   */
  sqliteDir?: string;
  /** Names the connectors as `${prefix} PostgreSQL`, …; default "Chinook". */
  namePrefix?: string;
}

const ENGINE_LABEL: Record<ChinookEngine, string> = { postgresql: 'PostgreSQL', mariadb: 'MariaDB', sqlite: 'SQLite' };

/**
 * Loads Chinook on each engine asked for (a scratch database on the local PostgreSQL and MariaDB,
 * a copy of the SQLite file) and creates a connector to each through POST /connectors.
 */
export async function createChinookConnectors(
  t: TestApp,
  token: string,
  options: ChinookConnectorOptions = {},
): Promise<ChinookConnectors> {
  const engines = options.engines ?? ['postgresql', 'mariadb', 'sqlite'];
  if (engines.includes('sqlite') && !options.sqliteDir) throw new Error('a Chinook SQLite connector needs sqliteDir');
  const scratch = new URL(t.env.DATABASE_URL!).pathname.slice(1).replace(/^sluice_test_/, '');
  const pgUrl = t.env.DATABASE_URL!.replace(/\/[^/]+$/, `/chinook_seed_${scratch}`);
  const mariaDb = `chinook_seed_${scratch}`;
  let sqlitePath: string | undefined;

  const cleanup = async (): Promise<void> => {
    if (engines.includes('postgresql')) await dropDatabase(pgUrl);
    if (engines.includes('mariadb')) await dropMariadbDatabase(mariaDb);
    if (sqlitePath) rmSync(sqlitePath, { force: true });
  };

  const bodies: Record<ChinookEngine, () => Promise<Record<string, unknown>>> = {
    postgresql: async () => {
      await loadChinookPostgres(pgUrl);
      return localPostgresConnector(pgUrl);
    },
    mariadb: async () => {
      await loadChinookMariadb(mariaDb);
      return {
        type: 'mysql',
        config: { host: '127.0.0.1', port: 3306, database: mariaDb, user: 'root', ssl: { mode: 'disable' } },
        authConfig: { password: '' },
      };
    },
    sqlite: async () => {
      sqlitePath = chinookSqliteCopy(options.sqliteDir!, `chinook-${scratch}.sqlite`);
      return { type: 'sqlite', config: { path: sqlitePath } };
    },
  };

  const ids: ChinookConnectors['ids'] = {};
  try {
    for (const engine of engines) {
      const body = await bodies[engine]();
      const name = `${options.namePrefix ?? 'Chinook'} ${ENGINE_LABEL[engine]}`;
      const res = await t.http.post('/api/v1/connectors', { name, ...body }, { token });
      if (res.status !== 201) throw new Error(`POST /connectors (${engine}) failed: ${res.status} ${res.text}`);
      ids[engine] = res.body.id as string;
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { ids, cleanup, postgresUrl: pgUrl, mariadbDatabase: mariaDb, sqlitePath };
}
