import { EnvDto } from '../config/env.dto';
import { ConfigError, loadEnv } from '../config/load-env';
import { prepareDatabase, PreparedDatabase } from '../database/prepare-database';
import { createPino, JsonLogger } from '../logging/json-logger';
import { assertRedisReachable } from '../redis/redis';

/** Validates the environment or exits with one line per problem (exit code 1). */
export function loadEnvOrExit(raw?: Record<string, string | undefined>): EnvDto {
  try {
    return loadEnv(raw);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nFix these variables (see .env.example) and start again.\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** JSON log lines on stdout, or on `destination` (the CLI keeps stdout for its results). */
export function createLogger(env: EnvDto, destination?: { write(line: string): void }): JsonLogger {
  return new JsonLogger(createPino(env.LOG_LEVEL, destination));
}

/**
 * Gets the outside world ready before Nest starts: PostgreSQL (embedded if need be), the
 * database and its migrations, and a reachable Redis. Sets env.DATABASE_URL to what is used.
 */
export async function prepareRuntime(
  env: EnvDto,
  logger: JsonLogger,
  options: { redis?: boolean } = {},
): Promise<PreparedDatabase> {
  const db = await prepareDatabase(env, (m) => logger.log(m, 'Startup'));
  env.DATABASE_URL = db.url;
  if (options.redis ?? true) {
    try {
      await assertRedisReachable(env.REDIS_URL);
    } catch (e) {
      await db.stop?.();
      throw e;
    }
  }
  return db;
}

/** Runs `main`, and on failure prints `label: reason` (never a stack) and exits 1. */
export function runMain(label: string, main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`${label}: ${(e as Error).message ?? String(e)}\n`);
    process.exit(1);
  });
}

/**
 * Stops cleanly on SIGINT/SIGTERM: close the app, then the embedded database if we started one;
 * exits 1 if that takes longer than `hardLimitMs`.
 */
export function onShutdown(close: () => Promise<void>, db?: PreparedDatabase, hardLimitMs = 15_000): void {
  let closing = false;
  const handler = (signal: string) => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(1), hardLimitMs);
    timer.unref();
    close()
      .then(() => db?.stop?.())
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        process.stderr.write(`Error while stopping after ${signal}: ${String(e)}\n`);
        process.exit(1);
      });
  };
  process.once('SIGINT', () => handler('SIGINT'));
  process.once('SIGTERM', () => handler('SIGTERM'));
}
