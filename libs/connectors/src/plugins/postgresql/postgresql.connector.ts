import { OnModuleDestroy } from '@nestjs/common';
import { EnvDto } from '@sluice/core/config/env.dto';
import { Client } from 'pg';
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
import { PgLease, pgClientOptions, PostgresConfig, PostgresConnections } from './postgres-connections';
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

// A query that outlives its server-side timeout by this much is cut from our side: the server
// or the network is not answering, and the caller must not wait on it.
const CLIENT_GRACE_MS = 2_000;

const noop = () => undefined;

function positive(value: number, fallback: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

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

  private readonly connections: PostgresConnections;

  constructor(private readonly env: EnvDto) {
    this.connections = new PostgresConnections(env.CONNECTOR_PROBE_TIMEOUT_MS);
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
    const { config } = ctx;
    const { product } = this.flavor();
    // Outside the try: a refused address is the caller's to report, not a failed probe.
    const target = await ctx.net.resolve(config.host);
    const warning = sslWarning(config.ssl, target.address);
    const timeoutMs = this.env.CONNECTOR_PROBE_TIMEOUT_MS;
    // Always a connection of its own: an idle pooled one would prove nothing about reachability
    // now, and cutting it on timeout must not hurt queries sharing the pool.
    const client = new Client({ ...pgClientOptions(config, target, timeoutMs), statement_timeout: timeoutMs });
    client.on('error', noop);
    try {
      const probe = await withDeadline(
        async () => {
          await client.connect();
          return (await client.query<PostgresProbe>(PROBE_SQL, [config.schemas])).rows[0];
        },
        timeoutMs,
        ctx.signal,
        () => void client.end().catch(noop),
      );
      const serverVersion = serverVersionOf(probe);
      return {
        success: true,
        message: `Connected to ${product} ${serverVersion}`,
        ...(warning ? { warning } : {}),
        details: { serverVersion, database: probe.database, tables: probe.tables },
      };
    } catch (error) {
      return {
        success: false,
        message: describePgConnectError(error, config, product),
        ...(warning ? { warning } : {}),
        details: {},
      };
    } finally {
      await client.end().catch(noop);
    }
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
    const timeoutMs = this.env.SQL_STATEMENT_TIMEOUT_MS;
    return this.withLease(ctx, timeoutMs, (lease) => readPostgresCatalog(lease.client, ctx.config.schemas));
  }

  private async execute(
    ctx: ConnectorContext<PostgresConfig>,
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
    const result = await this.withLease(
      ctx,
      bounded.timeoutMs,
      (lease) => runPostgresQuery(lease.client, sql, bounded),
      (run) => run.cut,
    ).then((run) => run.result);
    return { ...result, executionMs: Math.round(performance.now() - started) };
  }

  /**
   * Borrows a connection, runs `work` bounded by the timeout (plus a grace) and the caller's
   * signal, and gives the connection back, discarding it when its state is in doubt.
   */
  private async withLease<T>(
    ctx: ConnectorContext<PostgresConfig>,
    timeoutMs: number,
    work: (lease: PgLease) => Promise<T>,
    /** Whether the connection must be dropped after this outcome (it was cut). */
    discardAfter: (value: T) => boolean = () => false,
  ): Promise<T> {
    let lease: PgLease;
    try {
      lease = await this.connections.lease(ctx);
    } catch (error) {
      throw connectionFailed(error, (e) => describePgConnectError(e, ctx.config, this.flavor().product));
    }
    let discard = false;
    try {
      const value = await withDeadline(
        () => work(lease),
        timeoutMs + CLIENT_GRACE_MS,
        ctx.signal,
        () => {
          discard = true;
          void lease.done(true);
        },
      );
      discard ||= discardAfter(value);
      return value;
    } catch (error) {
      const mapped = pgQueryError(error, timeoutMs, ctx.config);
      if (mapped.code !== 'SQL_ERROR' && mapped.code !== 'SQL_TIMEOUT') discard = true;
      throw mapped;
    } finally {
      await lease.done(discard);
    }
  }
}
