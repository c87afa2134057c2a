import { OnModuleDestroy } from '@nestjs/common';
import { EnvDto } from '@sluice/core';
import type { Connection } from 'mysql2';
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
import {
  NETWORK_DESTINATION_FIELDS,
  networkConfigSchema,
  parseNetworkConfig,
  PASSWORD_AUTH_SCHEMA,
} from '../sql-common/network-sql-config';
import { buildDdl, CatalogTable, toTableInfo } from '../sql-common/sql-ddl';
import { boundExecute, LeaseSource, probeServer, runLeased, timed } from '../sql-common/sql-operations';
import { inBatches, tableItem } from '../sql-common/table-discovery';
import { CATALOG_QUERIES, describeServer, PROBE_SQL, readMysqlCatalog, serverOf } from './mysql-catalog';
import { MysqlConfig, mysqlConnections, mysqlOptions, mysqlQuery, openConnection } from './mysql-connections';
import { describeMysqlConnectError, mysqlQueryError } from './mysql-errors';
import { runMysqlQuery, statementTimeoutSql } from './mysql-execute';
import { MYSQL_DIALECT } from './mysql.dialect';

export type { MysqlConfig } from './mysql-connections';

const DEFAULT_PORT = 3306;

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

  private readonly connections: ReturnType<typeof mysqlConnections>;
  private readonly leases: LeaseSource<MysqlConfig, Connection>;

  constructor(private readonly env: EnvDto) {
    this.connections = mysqlConnections(env.CONNECTOR_PROBE_TIMEOUT_MS);
    this.leases = {
      lease: (ctx) => this.connections.lease(ctx),
      describeConnectError: describeMysqlConnectError,
      queryError: mysqlQueryError,
    };
  }

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): MysqlConfig {
    return parseNetworkConfig(config, auth, DEFAULT_PORT);
  }

  async test(ctx: ConnectorContext<MysqlConfig>): Promise<ProbeOutcome> {
    return probeServer<MysqlConfig, ProbeRow>(ctx, this.env.CONNECTOR_PROBE_TIMEOUT_MS, {
      open: (config, target, timeoutMs) => {
        const { conn, ready } = openConnection(mysqlOptions(config, target, timeoutMs));
        ready.catch(() => undefined);
        return {
          run: async () => {
            await ready;
            const [row] = await mysqlQuery<ProbeRow[]>(conn, PROBE_SQL);
            return row;
          },
          abort: () => conn.destroy(),
          close: () => conn.destroy(),
        };
      },
      describe: (probe) => {
        const server = describeServer(probe.version);
        const serverVersion = server.label.split(' ')[1];
        return {
          message: `Connected to ${server.label}`,
          details: { serverVersion, product: server.flavor, database: probe.db, tables: Number(probe.tables) },
        };
      },
      describeConnectError: describeMysqlConnectError,
    });
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

  private async readCatalog(ctx: ConnectorContext<MysqlConfig>): Promise<CatalogTable[]> {
    const timeoutMs = this.env.SQL_STATEMENT_TIMEOUT_MS;
    return runLeased(ctx, this.leases, timeoutMs, async (lease) => {
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
    const bounded = boundExecute(options, this.env);
    return timed(() =>
      runLeased(ctx, this.leases, bounded.timeoutMs, async (lease) => {
        const run = await runMysqlQuery(lease.conn, await serverOf(lease.conn), sql, bounded);
        return { value: run.result, cut: run.cut };
      }),
    );
  }
}
