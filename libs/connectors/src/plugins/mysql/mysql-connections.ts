import { ResolvedAddress } from '@sluice/core';
import { Connection, ConnectionOptions, createConnection, createPool, Pool, PoolConnection } from 'mysql2';
import { connect } from 'node:net';
import { NetworkSqlConfig } from '../sql-common/network-sql-config';
import { SqlConnections, SqlLease } from '../sql-common/sql-connections';

/** A MySQL or MariaDB server reached over TCP. */
export type MysqlConfig = NetworkSqlConfig;

/** A connection borrowed for one operation; `done(true)` discards it instead of reusing it. */
export type MysqlLease = SqlLease<Connection>;

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
export function mysqlConnections(
  connectTimeoutMs: number,
): SqlConnections<MysqlConfig, ConnectionOptions, Pool, Connection> {
  return new SqlConnections({
    options: (config, target) => mysqlOptions(config, target, connectTimeoutMs),
    // The socket factory is a function the fingerprint cannot see: the address stands in for it.
    fingerprint: (options, _config, target) => ({ ...options, stream: undefined, address: target.address }),
    connect: async (options) => {
      const { conn, ready } = openConnection(options);
      try {
        await ready;
      } catch (error) {
        conn.destroy();
        throw error;
      }
      return { conn, done: (discard) => (discard ? Promise.resolve(conn.destroy()) : endConnection(conn)) };
    },
    createPool: (options) => {
      const created = createPool({ ...options, connectionLimit: POOL_MAX, idleTimeout: POOL_IDLE_MS });
      created.on('connection', (conn) => conn.on('error', () => undefined));
      return created;
    },
    borrow: async (pool) => {
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
    },
    closePool: (pool) => new Promise<void>((resolve) => pool.end(() => resolve())),
  });
}
