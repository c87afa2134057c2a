import { OnModuleDestroy } from '@nestjs/common';
import { EnvDto } from '@sluice/core/config/env.dto';
import {
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  ExecuteOptions,
  JsonSchema,
  ProbeOutcome,
  QueryResult,
  SchemaSnapshot,
  SqlCapability,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { connectionFailed } from '../sql-common/connection-errors';
import { withDeadline } from '../sql-common/deadline';
import {
  NETWORK_DESTINATION_FIELDS,
  networkConfigSchema,
  parseNetworkConfig,
  PASSWORD_AUTH_SCHEMA,
  sslWarning,
} from '../sql-common/network-sql-config';
import { buildDdl, CatalogTable, toTableInfo } from '../sql-common/sql-ddl';
import { inBatches, tableItem } from '../sql-common/table-discovery';
import { CATALOG_QUERIES, describeServer, PROBE_SQL, readMysqlCatalog, serverOf } from './mysql-catalog';
import {
  MysqlConfig,
  MysqlConnections,
  MysqlLease,
  mysqlOptions,
  mysqlQuery,
  openConnection,
} from './mysql-connections';
import { describeMysqlConnectError, mysqlQueryError } from './mysql-errors';
import { runMysqlQuery, statementTimeoutSql } from './mysql-execute';
import { MYSQL_DIALECT } from './mysql.dialect';

export type { MysqlConfig } from './mysql-connections';

const DEFAULT_PORT = 3306;

// A query that outlives its server-side timeout by this much is cut from our side: the server
// or the network is not answering, and the caller must not wait on it.
const CLIENT_GRACE_MS = 2_000;

function positive(value: number, fallback: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

interface ProbeRow {
  version: string;
  db: string;
  tables: number | string;
}

/**
 * MySQL and MariaDB: probes, introspects information_schema in a fixed number of queries, runs
 * SQL in a read-only transaction and session with the server's statement timeout, streaming at
 * most maxRows + 1 rows, and lists tables and views as documents with their DDL.
 */
@ConnectorPlugin({
  type: 'mysql',
  category: 'sql',
  displayName: 'MySQL / MariaDB',
  description: 'A MySQL (5.7 or later) or MariaDB (10.3 or later) server, reached over TCP with a user and password.',
  readiness: 'ready',
  capabilities: ['test', 'introspect', 'execute', 'discover'],
  dialect: MYSQL_DIALECT,
  destinationFields: NETWORK_DESTINATION_FIELDS,
})
export class MysqlConnector implements ConnectorPluginContract<MysqlConfig>, OnModuleDestroy {
  readonly configSchema: JsonSchema = networkConfigSchema({
    product: 'MySQL / MariaDB',
    defaultPort: DEFAULT_PORT,
    hostExample: 'mysql.example.com',
    databaseExample: 'shop',
    userExample: 'sluice_reader',
  });

  readonly authSchema: JsonSchema = PASSWORD_AUTH_SCHEMA;

  readonly sql: SqlCapability<MysqlConfig> = {
    dialect: 'mysql',
    introspect: (ctx) => this.introspect(ctx),
    execute: (ctx, sql, options) => this.execute(ctx, sql, options),
  };

  private readonly connections: MysqlConnections;

  constructor(private readonly env: EnvDto) {
    this.connections = new MysqlConnections(env.CONNECTOR_PROBE_TIMEOUT_MS);
  }

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): MysqlConfig {
    return parseNetworkConfig(config, auth, DEFAULT_PORT);
  }

  async test(ctx: ConnectorContext<MysqlConfig>): Promise<ProbeOutcome> {
    const { config } = ctx;
    // Outside the try: a refused address is the caller's to report, not a failed probe.
    const target = await ctx.net.resolve(config.host);
    const warning = sslWarning(config.ssl, target.address);
    const timeoutMs = this.env.CONNECTOR_PROBE_TIMEOUT_MS;
    // Always a connection of its own: an idle pooled one would prove nothing about reachability
    // now, and cutting it on timeout must not hurt queries sharing the pool.
    const { conn, ready } = openConnection(mysqlOptions(config, target, timeoutMs));
    ready.catch(() => undefined);
    try {
      const probe = await withDeadline(
        async () => {
          await ready;
          const [row] = await mysqlQuery<ProbeRow[]>(conn, PROBE_SQL);
          return row;
        },
        timeoutMs,
        ctx.signal,
        () => conn.destroy(),
      );
      const server = describeServer(probe.version);
      const serverVersion = server.label.split(' ')[1];
      return {
        success: true,
        message: `Connected to ${server.label}`,
        ...(warning ? { warning } : {}),
        details: { serverVersion, product: server.flavor, database: probe.db, tables: Number(probe.tables) },
      };
    } catch (error) {
      return {
        success: false,
        message: describeMysqlConnectError(error, config),
        ...(warning ? { warning } : {}),
        details: {},
      };
    } finally {
      conn.destroy();
    }
  }

  async *discover(ctx: ConnectorContext<MysqlConfig>): AsyncIterable<DiscoveredItem[]> {
    const tables = await this.readCatalog(ctx);
    yield* inBatches(tables.map((table) => tableItem(toTableInfo(table), buildDdl(table, 'mysql'))));
  }

  async release(connectorId: string): Promise<void> {
    await this.connections.release(connectorId);
  }

  async onModuleDestroy(): Promise<void> {
    await this.connections.closeAll();
  }

  private async introspect(ctx: ConnectorContext<MysqlConfig>): Promise<SchemaSnapshot> {
    const tables = await this.readCatalog(ctx);
    return {
      dialect: 'mysql',
      database: ctx.config.database,
      tables: tables.map(toTableInfo),
      catalogQueries: CATALOG_QUERIES,
    };
  }

  private readCatalog(ctx: ConnectorContext<MysqlConfig>): Promise<CatalogTable[]> {
    const timeoutMs = this.env.SQL_STATEMENT_TIMEOUT_MS;
    return this.withLease(ctx, timeoutMs, async (lease) => {
      const server = await serverOf(lease.conn);
      // A previous query on this pooled connection may have left a much shorter timeout behind.
      await mysqlQuery(lease.conn, statementTimeoutSql(server, timeoutMs));
      return { value: await readMysqlCatalog(lease.conn, ctx.config.database, server.flavor), cut: false };
    });
  }

  private async execute(
    ctx: ConnectorContext<MysqlConfig>,
    sql: string,
    options: ExecuteOptions,
  ): Promise<QueryResult> {
    const bounded = {
      readOnly: options.readOnly !== false,
      timeoutMs: positive(options.timeoutMs, this.env.SQL_STATEMENT_TIMEOUT_MS),
      maxRows: positive(options.maxRows, this.env.SQL_MAX_ROWS),
      maxBytes: positive(options.maxBytes ?? 0, this.env.RESULT_MAX_BYTES),
    };
    const started = performance.now();
    const result = await this.withLease(ctx, bounded.timeoutMs, async (lease) => {
      const run = await runMysqlQuery(lease.conn, await serverOf(lease.conn), sql, bounded);
      return { value: run.result, cut: run.cut };
    });
    return { ...result, executionMs: Math.round(performance.now() - started) };
  }

  /**
   * Borrows a connection, runs `work` bounded by the timeout (plus a grace) and the caller's
   * signal, and gives the connection back, discarding it when it was cut or its state is in doubt.
   */
  private async withLease<T>(
    ctx: ConnectorContext<MysqlConfig>,
    timeoutMs: number,
    work: (lease: MysqlLease) => Promise<{ value: T; cut: boolean }>,
  ): Promise<T> {
    let lease: MysqlLease;
    try {
      lease = await this.connections.lease(ctx);
    } catch (error) {
      throw connectionFailed(error, (e) => describeMysqlConnectError(e, ctx.config));
    }
    let discard = false;
    try {
      const { value, cut } = await withDeadline(
        () => work(lease),
        timeoutMs + CLIENT_GRACE_MS,
        ctx.signal,
        () => {
          discard = true;
          void lease.done(true);
        },
      );
      discard = cut;
      return value;
    } catch (error) {
      const mapped = mysqlQueryError(error, timeoutMs, ctx.config);
      if (mapped.code !== 'SQL_ERROR' && mapped.code !== 'SQL_TIMEOUT') discard = true;
      throw mapped;
    } finally {
      await lease.done(discard);
    }
  }
}
