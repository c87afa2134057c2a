import { EnvDto, loadEnv, randomAlphanumeric } from '@sluice/core';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { AddressInfo, createServer } from 'node:net';
import { Client } from 'pg';

export const PG_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Variables for one test suite: its own database name and Redis key prefix, fresh secrets,
 * quiet logs. Nothing is shared with another suite running at the same time.
 */
export function testVariables(overrides: Record<string, string> = {}): Record<string, string> {
  const id = randomAlphanumeric(10);
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/sluice_test_${id}`,
    REDIS_URL,
    REDIS_KEY_PREFIX: `test_${id}`,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    BOOTSTRAP_TENANT: 'Acme',
    BOOTSTRAP_ADMIN_EMAIL: 'admin@acme.test',
    BOOTSTRAP_ADMIN_PASSWORD: 'acme-admin-password',
    PORT: '0',
    HOST: '127.0.0.1',
    ...overrides,
  };
}

export function testEnv(overrides: Record<string, string> = {}): EnvDto {
  return loadEnv(testVariables(overrides));
}

export function databaseName(url: string): string {
  return new URL(url).pathname.slice(1);
}

/** Creates the database of `url` and runs `script` in it (one simple-protocol round trip). */
export async function createDatabaseWith(url: string, script: string): Promise<void> {
  await query(PG_ADMIN_URL, `CREATE DATABASE "${databaseName(url)}"`);
  await query(url, script);
}

/** Drops a scratch database, closing whatever connections are still open to it. */
export async function dropDatabase(url: string): Promise<void> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${databaseName(url)}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Deletes every Redis key a suite wrote under its prefix. */
export async function clearRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Runs one statement on its own connection (to check what the app wrote, bypassing it). */
export async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
