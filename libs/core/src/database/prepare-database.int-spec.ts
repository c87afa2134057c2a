import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withinTime } from '../../../../test/helpers/eventually';
import { dropDatabase, freePort, PG_ADMIN_URL, query, testEnv } from '../../../../test/helpers/test-env';
import { packageInfo } from '../app/package-info';
import { blockedForServiceUser } from './embedded-postgres';
import { ensureDatabaseExists, prepareDatabase, resolveDatabaseUrl, runMigrations } from './prepare-database';
import type { EmbeddedRunResult } from '../../../../test/helpers/embedded-postgres-run';
import { MIGRATIONS } from './migrations';

// Every migration by name, oldest first, as runMigrations reports them.
const MIGRATION_NAMES = MIGRATIONS.map((m) => new m().name as string);

describe('database preparation (real PostgreSQL)', () => {
  const env = testEnv();
  const url = env.DATABASE_URL!;
  const log: string[] = [];
  afterAll(() => dropDatabase(url));

  it('creates the database when it is missing, once', async () => {
    const name = new URL(url).pathname.slice(1);
    expect(await query(PG_ADMIN_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toHaveLength(0);
    expect(await ensureDatabaseExists(url)).toBe(true);
    expect(await ensureDatabaseExists(url)).toBe(false);
    expect(await query(PG_ADMIN_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).toHaveLength(1);
  });

  it('applies the migrations, creating the identity tables, and then has nothing left to apply', async () => {
    const prepared = await prepareDatabase(env, (m) => log.push(m));
    expect(prepared.url).toBe(url);
    expect(log).toContain(`Applied migrations: ${MIGRATION_NAMES.join(', ')}`);
    expect(MIGRATION_NAMES.slice(0, 3)).toEqual([
      'Identity1763800000000',
      'Connectors1763900000000',
      'Documents1764000000000',
    ]);
    const tables = await query<{ table_name: string }>(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['api_keys', 'memberships', 'migrations', 'refresh_tokens', 'tenants', 'users']),
    );
    expect(await runMigrations(url)).toEqual([]);
  });

  it('lets several processes migrate one fresh database at once without failing', async () => {
    const fresh = testEnv().DATABASE_URL!;
    try {
      await ensureDatabaseExists(fresh);
      const results = await Promise.all([runMigrations(fresh), runMigrations(fresh), runMigrations(fresh)]);
      expect(results.flat().sort()).toEqual([...MIGRATION_NAMES].sort());
      const applied = await query<{ n: number }>(fresh, 'SELECT count(*)::int AS n FROM migrations');
      expect(applied[0].n).toBe(MIGRATION_NAMES.length);
    } finally {
      await dropDatabase(fresh);
    }
  });

  it('enforces case-insensitive unique e-mails and tenant names in the schema itself', async () => {
    await query(url, "INSERT INTO users (id, email, password_hash) VALUES ('usr_a', 'Ann@Example.com', 'x')");
    await expect(
      query(url, "INSERT INTO users (id, email, password_hash) VALUES ('usr_b', 'ann@example.COM', 'x')"),
    ).rejects.toThrow(/users_email_ci/);
    await query(url, "INSERT INTO tenants (id, name) VALUES ('ten_a', 'Acme')");
    await expect(query(url, "INSERT INTO tenants (id, name) VALUES ('ten_b', 'ACME')")).rejects.toThrow(
      /tenants_name_ci/,
    );
    await expect(
      query(url, "INSERT INTO memberships (tenant_id, user_id, role) VALUES ('ten_a', 'usr_a', 'owner')"),
    ).rejects.toThrow(/check/i);
  });

  it('uses the local server when DATABASE_URL is unset and something answers on the port', async () => {
    const local = testEnv({ DATABASE_URL: '', DATABASE_NAME: 'sluice_probe' });
    const prepared = await resolveDatabaseUrl(local, () => undefined, 5432);
    expect(prepared).toEqual({ url: 'postgresql://postgres@127.0.0.1:5432/sluice_probe' });
  });

  it('fails with a message naming DATABASE_URL, without the password, when the server is unreachable', async () => {
    const port = await freePort();
    const bad = testEnv({ DATABASE_URL: `postgresql://postgres:topsecret@127.0.0.1:${port}/nothing` });
    const error = await prepareDatabase(bad, () => undefined).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/check DATABASE_URL/);
    expect((error as Error).message).not.toContain('topsecret');
  });
});

/** Runs the start, migrate, stop, restart scenario in a plain Node process (see the script). */
function runEmbeddedScenario(input: { dir: string; port: number; closedPort: number }): Promise<EmbeddedRunResult> {
  const root = packageInfo().root;
  const args = [
    '-r',
    join(root, 'scripts/register-typescript.js'),
    join(root, 'test/helpers/embedded-postgres-run.ts'),
  ];
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [...args, JSON.stringify(input)],
      { cwd: root, timeout: 110_000 },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`the embedded PostgreSQL scenario failed: ${error.message}\n${stderr}`));
        else done(JSON.parse(stdout.trim().split('\n').pop()!) as EmbeddedRunResult);
      },
    );
  });
}

describe('embedded PostgreSQL fallback (real server from the npm package)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-embedded-'));
  // As root the server runs as another user, who must be able to enter the directory.
  chmodSync(dir, 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // As root the server runs as user postgres, who must reach this project's node_modules: in a
  // checkout under a private directory (mktemp -d) it cannot, and start-up must say so at once.
  const blocked = blockedForServiceUser(join(packageInfo().root, 'node_modules'));

  (blocked ? it : it.skip)(
    'refuses at once, naming the directory, when the server binaries are out of reach',
    async () => {
      const env = testEnv({
        DATABASE_URL: '',
        EMBEDDED_POSTGRES_DIR: join(dir, 'postgres'),
        EMBEDDED_POSTGRES_PORT: String(await freePort()),
      });
      const probePort = await freePort();
      await withinTime(5000, 'refusing out-of-reach server binaries', () =>
        expect(resolveDatabaseUrl(env, () => undefined, probePort)).rejects.toThrow(
          `that user cannot enter ${blocked}. Install Sluice under a directory others may traverse`,
        ),
      );
    },
  );

  (blocked ? it.skip : it)(
    'starts an embedded server when nothing answers, migrates it, and keeps the data across restarts',
    async () => {
      const closedPort = await freePort();
      const port = await freePort();
      const run = await runEmbeddedScenario({ dir: join(dir, 'postgres'), port, closedPort });

      expect(run.firstUrl).toMatch(new RegExp(`^postgresql://postgres:[0-9a-z]+@127\\.0\\.0\\.1:${port}/sluice$`));
      expect(run.messages.join('\n')).toMatch(/starting an embedded PostgreSQL/);
      expect(run.rowsAfterRestart).toEqual([{ name: 'Kept' }]);
      // Both servers were stopped: nothing answers on the port any more.
      await expect(query(run.firstUrl, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
    },
    120_000,
  );
});
