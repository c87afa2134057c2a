import { ResolvedAddress } from '@sluice/core/network/safe-network';
import { Connection, ConnectionOptions, createConnection, createPool, Pool, PoolConnection } from 'mysql2';
import { connect } from 'node:net';
import { ConnectorContext } from '../../plugin/connector-plugin';
import { NetworkSqlConfig } from '../sql-common/network-sql-config';
import { PoolCache } from '../sql-common/pool-cache';

/** A MySQL or MariaDB server reached over TCP. */
export type MysqlConfig = NetworkSqlConfig;

/** A connection borrowed for one operation; `done(true)` discards it instead of reusing it. */
export interface MysqlLease {
  conn: Connection;
  done(discard?: boolean): Promise<void>;
}

const POOL_MAX = 5;
const POOL_IDLE_MS = 30_000;

/**
 * Options that dial exactly the address the safe-network guard approved: the socket comes from
 * our own factory, while `host` stays the typed name so TLS checks the certificate against it.
 */
export function mysqlOptions(
  config: MysqlConfig,
  target: ResolvedAddress,
  connectTimeoutMs: number,
): ConnectionOptions {
  const { mode, ca } = config.ssl;
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    stream: () => {
      const socket = connect(config.port, target.address);
      socket.setNoDelay(true);
      return socket;
    },
    ssl:
      mode === 'disable'
        ? undefined
        : { rejectUnauthorized: mode === 'verify-full', verifyIdentity: mode === 'verify-full', ca },
    connectTimeout: connectTimeoutMs,
    // Exact values: big integers and decimals as strings, DATE as its text, DATETIME read as UTC.
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: ['DATE'],
    timezone: 'Z',
    // One statement per call, and a server may never ask us for a local file.
    multipleStatements: false,
    flags: ['-LOCAL_FILES'],
  };
}

export function mysqlQuery<T>(conn: Connection, sql: string, params: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    conn.query(sql, params, (error, rows) => (error ? reject(error) : resolve(rows as T)));
  });
}

/** Opens a connection that is not pooled; the caller ends or destroys it. */
export function openConnection(options: ConnectionOptions): { conn: Connection; ready: Promise<void> } {
  const conn = createConnection(options);
  // A socket error after connect would otherwise be an unhandled 'error' event.
  conn.on('error', () => undefined);
  const ready = new Promise<void>((resolve, reject) => conn.connect((error) => (error ? reject(error) : resolve())));
  return { conn, ready };
}

function endConnection(conn: Connection): Promise<void> {
  return new Promise((resolve) =>
    conn.end(() => {
      conn.destroy();
      resolve();
    }),
  );
}

function poolConnection(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) => pool.getConnection((error, conn) => (error ? reject(error) : resolve(conn))));
}

/** The connector's pools: one per saved connector, none for an unsaved configuration. */
export class MysqlConnections {
  private readonly pools = new PoolCache<Pool>((pool) => new Promise<void>((resolve) => pool.end(() => resolve())));

  constructor(private readonly connectTimeoutMs: number) {}

  async lease(ctx: ConnectorContext<MysqlConfig>): Promise<MysqlLease> {
    const target = await ctx.net.resolve(ctx.config.host);
    const options = mysqlOptions(ctx.config, target, this.connectTimeoutMs);
    if (!ctx.connectorId) {
      const { conn, ready } = openConnection(options);
      try {
        await ready;
      } catch (error) {
        conn.destroy();
        throw error;
      }
      return { conn, done: (discard) => (discard ? Promise.resolve(conn.destroy()) : endConnection(conn)) };
    }
    // The password and the resolved address are part of the fingerprint: a new password or a
    // host that now resolves elsewhere gets a fresh pool rather than the old connections.
    const fingerprint = { ...options, stream: undefined, address: target.address };
    const pool = await this.pools.get(ctx.connectorId, fingerprint, () => {
      const created = createPool({ ...options, connectionLimit: POOL_MAX, idleTimeout: POOL_IDLE_MS });
      created.on('connection', (conn) => conn.on('error', () => undefined));
      return created;
    });
    const conn = await poolConnection(pool);
    let released = false;
    return {
      conn,
      done: async (discard) => {
        if (released) return;
        released = true;
        if (discard) conn.destroy();
        else conn.release();
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
