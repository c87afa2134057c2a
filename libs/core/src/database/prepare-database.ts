import { connect } from 'node:net';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EnvDto } from '../config/env.dto';
import { startEmbeddedPostgres } from './embedded-postgres';
import { MIGRATIONS } from './migrations';

export interface PreparedDatabase {
  /** The URL the apps connect to (embedded or given). */
  url: string;
  /** Set when an embedded server was started; stop it on shutdown. */
  stop?: () => Promise<void>;
}

function answersOn(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Which PostgreSQL to use: DATABASE_URL, else a local server on 5432, else an embedded one. */
export async function resolveDatabaseUrl(
  env: EnvDto,
  log: (m: string) => void,
  localPort = 5432,
): Promise<PreparedDatabase> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  if (await answersOn('127.0.0.1', localPort)) {
    log(`DATABASE_URL is not set; using the PostgreSQL server on 127.0.0.1:${localPort}`);
    return { url: `postgresql://postgres@127.0.0.1:${localPort}/${env.DATABASE_NAME}` };
  }
  log(`DATABASE_URL is not set and nothing answers on 127.0.0.1:${localPort}; starting an embedded PostgreSQL`);
  return startEmbeddedPostgres(env.EMBEDDED_POSTGRES_DIR, env.EMBEDDED_POSTGRES_PORT, env.DATABASE_NAME, log);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the database named in `url` when the server does not have it yet. */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (e) {
      // Another process created it between our check and our CREATE.
      if ((e as { code?: string }).code !== '42P04') throw e;
    }
    return true;
  } finally {
    await client.end();
  }
}

// Any constant works; it only has to be the same for every process migrating this database.
const MIGRATION_LOCK_KEY = 71_823_001;

/** Applies pending migrations; an advisory lock lets several processes start at once safely. */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
  });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
    await dataSource.destroy();
  }
}

/** Everything the apps need before Nest starts: a server, the database, the schema. */
export async function prepareDatabase(env: EnvDto, log: (m: string) => void): Promise<PreparedDatabase> {
  const prepared = await resolveDatabaseUrl(env, log);
  try {
    if (await ensureDatabaseExists(prepared.url)) log(`Created database ${new URL(prepared.url).pathname.slice(1)}`);
    const applied = await runMigrations(prepared.url);
    if (applied.length) log(`Applied migrations: ${applied.join(', ')}`);
    return prepared;
  } catch (e) {
    await prepared.stop?.();
    const reason = (e as Error).message.replace(/\/\/[^@/]*@/, '//***@');
    // The driver's error is not attached as `cause`: its text may carry the connection password.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`Cannot prepare the database (check DATABASE_URL and that PostgreSQL is running): ${reason}`);
  }
}
