// Runs the embedded-PostgreSQL fallback in a plain Node process, as the apps do at start-up.
// The package is ESM-only and is loaded through a real dynamic import(); inside Jest's VM that
// import goes through Jest's module loader, which can hand it to an earlier test file's torn-down
// environment. A child process of its own keeps the test about the fallback, not about Jest.
//
// Usage: node -r scripts/register-typescript.js test/helpers/embedded-postgres-run.ts '<json>'
// with { dir, port, closedPort }; prints one JSON line with what the scenario saw.
import { ensureDatabaseExists, resolveDatabaseUrl, runMigrations } from '@sluice/core';
import { query, testEnv } from './test-env';

export interface EmbeddedRunResult {
  firstUrl: string;
  messages: string[];
  rowsAfterRestart: Array<{ name: string }>;
}

async function main(): Promise<void> {
  const { dir, port, closedPort } = JSON.parse(process.argv[2]) as { dir: string; port: number; closedPort: number };
  const env = testEnv({ DATABASE_URL: '', EMBEDDED_POSTGRES_DIR: dir, EMBEDDED_POSTGRES_PORT: String(port) });
  const messages: string[] = [];

  const first = await resolveDatabaseUrl(env, (m) => messages.push(m), closedPort);
  try {
    await ensureDatabaseExists(first.url);
    await runMigrations(first.url);
    await query(first.url, "INSERT INTO tenants (id, name) VALUES ('ten_kept', 'Kept')");
  } finally {
    await first.stop?.();
  }

  const second = await resolveDatabaseUrl(env, () => undefined, closedPort);
  let rowsAfterRestart: Array<{ name: string }>;
  try {
    rowsAfterRestart = await query<{ name: string }>(second.url, 'SELECT name FROM tenants');
  } finally {
    await second.stop?.();
  }
  const result: EmbeddedRunResult = { firstUrl: first.url, messages, rowsAfterRestart };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
