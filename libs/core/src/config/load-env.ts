import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { EnvDto, WEAK_BOOTSTRAP_PASSWORDS } from './env.dto';

/** A configuration problem: one line per offending variable, printed before the process exits. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** One line per offending variable, however many of its rules failed. */
function flatten(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const messages = Object.values(e.constraints ?? {}).map((message) =>
      // class-validator starts its messages with the property name; keep ours in front once.
      message.startsWith(`${e.property} `) ? message.slice(e.property.length + 1) : message,
    );
    return `${e.property}: ${messages.join('; ')}`;
  });
}

/**
 * Reads the environment: the process environment wins over a `.env` file in the working
 * directory. This is the only place in Sluice that looks at `process.env`.
 */
export function readEnvironment(cwd = process.cwd()): Record<string, string | undefined> {
  const file = resolve(cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/**
 * The Redis key prefix when REDIS_KEY_PREFIX is unset: `sluice:<database>`. Two installs on one
 * Redis each have their own database, so they no longer share a prefix, and with it each
 * other's queues (a worker of one would run the other's jobs against the wrong database).
 */
export function defaultRedisKeyPrefix(env: Pick<EnvDto, 'DATABASE_URL' | 'DATABASE_NAME'>): string {
  let database = env.DATABASE_NAME;
  if (env.DATABASE_URL) {
    const url = new URL(env.DATABASE_URL);
    // Without a path, PostgreSQL connects to the database named after the user.
    database = decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres';
  }
  return `sluice:${database.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 90)}`;
}

/** Validates raw variables into an {@link EnvDto}; throws a {@link ConfigError} listing every problem. */
export function loadEnv(raw: Record<string, string | undefined> = readEnvironment()): EnvDto {
  const known = Object.keys(new EnvDto());
  const picked: Record<string, string> = {};
  for (const key of [...known, 'JWT_SECRET', 'ENCRYPTION_KEY', 'DATABASE_URL', 'ENCRYPTION_OLD_KEYS']) {
    const value = raw[key];
    // An empty value (`PORT=` in a file, `${PORT:-}` in compose) means "unset": keep the default.
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const env = plainToInstance(EnvDto, picked, { exposeDefaultValues: true });
  const problems = flatten(validateSync(env, { skipMissingProperties: false }));
  if (env.NODE_ENV === 'production' && WEAK_BOOTSTRAP_PASSWORDS.has(env.BOOTSTRAP_ADMIN_PASSWORD)) {
    problems.push('BOOTSTRAP_ADMIN_PASSWORD: the default or a well-known password is refused when NODE_ENV=production');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (picked.REDIS_KEY_PREFIX === undefined) env.REDIS_KEY_PREFIX = defaultRedisKeyPrefix(env);
  return env;
}

/** The resolved configuration as variables, so child processes started by `sluice start` see the same values. */
export function envForChild(env: EnvDto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== null) out[key] = String(value);
  }
  return out;
}
