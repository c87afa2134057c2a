import { OnModuleDestroy } from '@nestjs/common';
import { EnvDto } from '@sluice/core';
import { Client, ClientBase } from 'pg';
import { ConnectorConfigError } from '../../plugin/connector-errors';
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
import { pgClientOptions, PostgresConfig, postgresConnections } from './postgres-connections';
import { POSTGRESQL_DIALECT } from './postgresql.dialect';
import { CATALOG_QUERIES, PROBE_SQL, PostgresProbe, readPostgresCatalog, serverVersionOf } from './postgres-catalog';
import { describePgConnectError, pgQueryError } from './postgres-errors';
import { runPostgresQuery } from './postgres-execute';

export type { PostgresConfig } from './postgres-connections';

/** What differs between servers that speak the PostgreSQL protocol. */
export interface PostgresFlavor {
  dialect: 'postgresql' | 'redshift';
  product: string;
  defaultPort: number;
  hostExample: string;
}

const POSTGRES: PostgresFlavor = {
  dialect: POSTGRESQL_DIALECT.name,
  product: 'PostgreSQL',
  defaultPort: POSTGRESQL_DIALECT.defaultPort,
  hostExample: 'db.example.com',
};

const noop = () => undefined;

/**
 * PostgreSQL (and, through {@link RedshiftConnector}, Amazon Redshift): probes, introspects the
 * catalog in a fixed number of queries, runs SQL in a read-only transaction with a statement
 * timeout and a row cap, and lists tables and views as documents with their DDL.
 */
@ConnectorPlugin({
  type: 'postgresql',
  category: 'sql',
  displayName: 'PostgreSQL',
  description: 'A PostgreSQL server (9.6 or later), reached over TCP with a user and password.',
  readiness: 'ready',
  capabilities: ['test', 'introspect', 'execute', 'discover'],
  dialect: POSTGRESQL_DIALECT,
  destinationFields: NETWORK_DESTINATION_FIELDS,
})
export class PostgresqlConnector implements ConnectorPluginContract<PostgresConfig>, OnModuleDestroy {
  readonly configSchema: JsonSchema = networkConfigSchema({
    product: this.flavor().product,
    defaultPort: this.flavor().defaultPort,
    hostExample: this.flavor().hostExample,
    databaseExample: 'analytics',
    userExample: 'sluice_reader',
    extraProperties: {
      schemas: {
        type: 'array',
        title: 'Schemas',
        description: 'Schemas to introspect and sync. Leave out for every schema that is not a system schema.',
        items: { type: 'string', minLength: 1, maxLength: 128 },
        minItems: 1,
        maxItems: 1000,
        uniqueItems: true,
        examples: [['public']],
      },
    },
  });

  readonly authSchema: JsonSchema = PASSWORD_AUTH_SCHEMA;

  readonly sql: SqlCapability<PostgresConfig> = {
    dialect: this.flavor().dialect,
    introspect: (ctx) => this.introspect(ctx),
    execute: (ctx, sql, options) => this.execute(ctx, sql, options),
  };

  private readonly connections: ReturnType<typeof postgresConnections>;
  private readonly leases: LeaseSource<PostgresConfig, ClientBase>;

  constructor(private readonly env: EnvDto) {
    this.connections = postgresConnections(env.CONNECTOR_PROBE_TIMEOUT_MS);
    this.leases = {
      lease: (ctx) => this.connections.lease(ctx),
      describeConnectError: (error, config) => describePgConnectError(error, config, this.flavor().product),
      queryError: pgQueryError,
    };
  }

  /** A method rather than a field so that it is already the subclass's while fields initialise. */
  protected flavor(): PostgresFlavor {
    return POSTGRES;
  }

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): PostgresConfig {
    const base = parseNetworkConfig(config, auth, this.flavor().defaultPort);
    let schemas: string[] | null = null;
    if (config.schemas !== undefined && config.schemas !== null) {
      const list = Array.isArray(config.schemas) ? config.schemas.map((s) => String(s).trim()).filter(Boolean) : [];
      if (!list.length) {
        throw new ConnectorConfigError([
          { field: 'config.schemas', messages: ['list at least one schema, or leave schemas out for all of them'] },
        ]);
      }
      schemas = [...new Set(list)];
    }
    return { ...base, schemas };
  }

  async test(ctx: ConnectorContext<PostgresConfig>): Promise<ProbeOutcome> {
    const { product } = this.flavor();
    return probeServer<PostgresConfig, PostgresProbe>(ctx, this.env.CONNECTOR_PROBE_TIMEOUT_MS, {
      open: (config, target, timeoutMs) => {
        const client = new Client({ ...pgClientOptions(config, target, timeoutMs), statement_timeout: timeoutMs });
        client.on('error', noop);
        return {
          run: async () => {
            await client.connect();
            return (await client.query<PostgresProbe>(PROBE_SQL, [config.schemas])).rows[0];
          },
          abort: () => void client.end().catch(noop),
          close: () => client.end().catch(noop),
        };
      },
      describe: (probe) => {
        const serverVersion = serverVersionOf(probe);
        return {
          message: `Connected to ${product} ${serverVersion}`,
          details: { serverVersion, database: probe.database, tables: probe.tables },
        };
      },
      describeConnectError: (error, config) => describePgConnectError(error, config, product),
    });
  }

  async *discover(ctx: ConnectorContext<PostgresConfig>): AsyncIterable<DiscoveredItem[]> {
    const tables = await this.readCatalog(ctx);
    const dialect = this.flavor().dialect;
    yield* inBatches(tables.map((table) => tableItem(toTableInfo(table), buildDdl(table, dialect))));
  }

  async release(connectorId: string): Promise<void> {
    await this.connections.release(connectorId);
  }

  async onModuleDestroy(): Promise<void> {
    await this.connections.closeAll();
  }

  private async introspect(ctx: ConnectorContext<PostgresConfig>): Promise<SchemaSnapshot> {
    const tables = await this.readCatalog(ctx);
    return {
      dialect: this.flavor().dialect,
      database: ctx.config.database,
      tables: tables.map(toTableInfo),
      catalogQueries: CATALOG_QUERIES,
    };
  }

  private async readCatalog(ctx: ConnectorContext<PostgresConfig>): Promise<CatalogTable[]> {
    // Each connection is leased for its own share of the reading and given back when that is
    // done; neither waits for the other while holding one, so a busy pool cannot deadlock here.
    const onConnection = <T>(work: (client: ClientBase) => Promise<T>): Promise<T> =>
      runLeased(ctx, this.leases, this.env.SQL_STATEMENT_TIMEOUT_MS, async (lease) => ({
        value: await work(lease.conn),
        cut: false,
      }));
    return readPostgresCatalog(onConnection, ctx.config.schemas);
  }

  private async execute(
    ctx: ConnectorContext<PostgresConfig>,
    sql: string,
    options: ExecuteOptions,
  ): Promise<QueryResult> {
    const bounded = boundExecute(options, this.env);
    return timed(() =>
      runLeased(ctx, this.leases, bounded.timeoutMs, async (lease) => {
        const run = await runPostgresQuery(lease.conn, sql, bounded);
        return { value: run.result, cut: run.cut };
      }),
    );
  }
}
