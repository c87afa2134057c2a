import { ResolvedAddress } from '@sluice/core/network/safe-network';
import { Client, ClientBase, ClientConfig, Pool } from 'pg';
import { ConnectorContext } from '../../plugin/connector-plugin';
import { NetworkSqlConfig, serverName } from '../sql-common/network-sql-config';
import { PoolCache } from '../sql-common/pool-cache';

/** Everything a PostgreSQL-protocol connector needs to reach its server. */
export interface PostgresConfig extends NetworkSqlConfig {
  /** Schemas to introspect; null means every schema that is not a system one. */
  schemas: string[] | null;
}

/** A connection borrowed for one operation; `done(true)` discards it instead of reusing it. */
export interface PgLease {
  client: ClientBase;
  done(discard?: boolean): Promise<void>;
}

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
export class PostgresConnections {
  private readonly pools = new PoolCache<Pool>((pool) => pool.end());

  constructor(private readonly connectTimeoutMs: number) {}

  async lease(ctx: ConnectorContext<PostgresConfig>): Promise<PgLease> {
    const target = await ctx.net.resolve(ctx.config.host);
    const options = pgClientOptions(ctx.config, target, this.connectTimeoutMs);
    if (!ctx.connectorId) {
      const client = await connectClient(options);
      return { client, done: () => client.end().catch(() => undefined) };
    }
    // The password and the resolved address are part of the fingerprint: a new password or a
    // host that now resolves elsewhere gets a fresh pool rather than the old connections.
    const fingerprint = { ...options, password: ctx.config.password, address: target.address };
    const pool = await this.pools.get(ctx.connectorId, fingerprint, () => {
      const created = new Pool({ ...options, max: POOL_MAX, idleTimeoutMillis: POOL_IDLE_MS, allowExitOnIdle: true });
      created.on('error', (error) => ctx.logger.warn?.(`PostgreSQL pool connection failed: ${error.message}`));
      return created;
    });
    const client = await pool.connect();
    // The pool listens for errors of idle clients only: a connection cut under a leased client
    // (the source gone mid-query) would otherwise be an unhandled 'error' event that ends the
    // process. The query running on it rejects with the cause; a dead client leaves the pool.
    const ignore = () => undefined;
    client.on('error', ignore);
    let released = false;
    return {
      client,
      done: async (discard) => {
        if (released) return;
        released = true;
        client.off('error', ignore);
        client.release(discard ? true : undefined);
      },
    };
  }

  release(connectorId: string): Promise<void> {
    return this.pools.release(connectorId);
  }

  closeAll(): Promise<void> {
    return this.pools.closeAll();
  }
}
