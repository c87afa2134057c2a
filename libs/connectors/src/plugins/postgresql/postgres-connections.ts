import { ResolvedAddress } from '@sluice/core';
import { Client, ClientBase, ClientConfig, Pool } from 'pg';
import { NetworkSqlConfig, serverName } from '../sql-common/network-sql-config';
import { SqlConnections, SqlLease } from '../sql-common/sql-connections';

/** Everything a PostgreSQL-protocol connector needs to reach its server. */
export interface PostgresConfig extends NetworkSqlConfig {
  /** Schemas to introspect; null means every schema that is not a system one. */
  schemas: string[] | null;
}

/** A connection borrowed for one operation; `done(true)` discards it instead of reusing it. */
export type PgLease = SqlLease<ClientBase>;

const POOL_MAX = 5;
const POOL_IDLE_MS = 30_000;

function tlsOptions(config: PostgresConfig): ClientConfig['ssl'] {
  switch (config.ssl.mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    default:
      // We connect to the resolved address, so the certificate must be checked against the name
      // the user typed, not the IP we dial.
      return { rejectUnauthorized: true, ca: config.ssl.ca, servername: serverName(config.host) };
  }
}

/**
 * Options that reach exactly the address the safe-network guard approved. Every value is set
 * explicitly: node-postgres fills falsy ones from PG* variables and ~/.pgpass of the server
 * process, which must never lend its own credentials to a tenant's connector.
 */
export function pgClientOptions(
  config: PostgresConfig,
  target: ResolvedAddress,
  connectTimeoutMs: number,
): ClientConfig {
  const password = config.password;
  return {
    host: target.address,
    port: config.port,
    database: config.database,
    user: config.user,
    password: async () => password,
    ssl: tlsOptions(config),
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'sluice',
    keepAlive: true,
  };
}

/** Opens a client that is not pooled; the caller ends it. */
export async function connectClient(options: ClientConfig): Promise<Client> {
  const client = new Client(options);
  // A socket error after connect would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** The connector's pools: one per saved connector, none for an unsaved configuration. */
export function postgresConnections(
  connectTimeoutMs: number,
): SqlConnections<PostgresConfig, ClientConfig, Pool, ClientBase> {
  return new SqlConnections({
    options: (config, target) => pgClientOptions(config, target, connectTimeoutMs),
    // The options carry the password as a function: the fingerprint needs its value.
    fingerprint: (options, config, target) => ({ ...options, password: config.password, address: target.address }),
    connect: async (options) => {
      const client = await connectClient(options);
      return { conn: client, done: () => client.end().catch(() => undefined) };
    },
    createPool: (options, ctx) => {
      const created = new Pool({ ...options, max: POOL_MAX, idleTimeoutMillis: POOL_IDLE_MS, allowExitOnIdle: true });
      created.on('error', (error) => ctx.logger.warn?.(`PostgreSQL pool connection failed: ${error.message}`));
      return created;
    },
    borrow: async (pool) => {
      const client = await pool.connect();
      // The pool listens for errors of idle clients only: a connection cut under a leased client
      // (the source gone mid-query) would otherwise be an unhandled 'error' event that ends the
      // process. The query running on it rejects with the cause; a dead client leaves the pool.
      const ignore = () => undefined;
      client.on('error', ignore);
      let released = false;
      return {
        conn: client,
        done: async (discard) => {
          if (released) return;
          released = true;
          client.off('error', ignore);
          client.release(discard ? true : undefined);
        },
      };
    },
    closePool: (pool) => pool.end(),
  });
}
