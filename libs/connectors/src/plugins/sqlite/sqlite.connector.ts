import { Inject, OnModuleDestroy } from '@nestjs/common';
import { isWithin, realOrLexical, rootsForTenant, EnvDto } from '@sluice/core';
import { statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { FileStorage } from '../../files/file-storage';
import { FILE_STORAGE } from '../../files/file-storage.provider';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import {
  ConfigScope,
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  ExecuteOptions,
  JsonSchema,
  ProbeOutcome,
  QueryResult,
  SchemaSnapshot,
  SqlCapability,
  TableInfo,
  UploadedFile,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { errorCode, errorMessage } from '../sql-common/connection-errors';
import { boundExecute, timed } from '../sql-common/sql-operations';
import { inBatches, tableItem } from '../sql-common/table-discovery';
import {
  buildSqliteCatalog,
  CATALOG_QUERIES,
  catalogStatements,
  ColumnRow,
  ForeignKeyRow,
  PROBE_SQL,
  SqliteTable,
} from './sqlite-catalog';
import { createSqlitePool, readSqlite, runSqliteQuery } from './sqlite-execute';
import { SqliteProcessPool, SqliteTaskError } from './sqlite-process-pool';
import { checkSqlitePath, resolveSqlitePath } from './sqlite-path';
import { SQLITE_DIALECT } from './sqlite.dialect';

/**
 * An SQLite file: on the server inside one of SQLITE_ALLOWED_DIRS, or uploaded to the connector
 * (then `path` is in file storage and `allowed` is the connector's own storage directory).
 */
export interface SqliteConfig {
  path: string;
  /** The directories `path` must stay inside (the tenant's), in the SQLITE_ALLOWED_DIRS format. */
  allowed: string | undefined;
  /** No path and no upload yet: the connector waits in pending_upload. */
  awaitingUpload: boolean;
}

/** No path and no upload of this tenant: the connector waits for its file. */
const NO_UPLOAD: SqliteConfig = { path: '', allowed: undefined, awaitingUpload: true };

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function describeOpenError(error: unknown): string {
  const code = errorCode(error);
  if (code === 'SQLITE_NOTADB') return 'The file is not an SQLite database.';
  if (code === 'SQLITE_CORRUPT') return 'The SQLite file is damaged.';
  if (code === 'SQLITE_BUSY') return 'The SQLite file is locked by another process; try again later.';
  if (code === 'SQLITE_CANTOPEN') return 'The SQLite file cannot be opened.';
  return `The SQLite file cannot be read: ${errorMessage(error)}`;
}

function toTableInfo(table: SqliteTable): TableInfo {
  const { name, kind, columns, primaryKey, foreignKeys } = table;
  return { schema: null, name, kind, comment: null, rowEstimate: null, columns, primaryKey, foreignKeys };
}

/**
 * SQLite files on the server's own disk, limited to SQLITE_ALLOWED_DIRS. Nothing opens a file in
 * this process: probes, introspection (two catalog queries over at most SQLITE_MAX_TABLES tables
 * and views) and SQL (read-only unless a write is allowed) run in a bounded pool of child
 * processes, killed at their deadline, since SQLite cannot be interrupted from the event loop.
 */
@ConnectorPlugin({
  type: 'sqlite',
  category: 'sql',
  displayName: 'SQLite',
  description:
    'An SQLite database file: one on the server inside a directory the administrator allowed, or one uploaded to the connector.',
  readiness: 'ready',
  capabilities: ['test', 'introspect', 'execute', 'discover', 'upload'],
  dialect: SQLITE_DIALECT,
  destinationFields: ['path', 'storageKey'],
})
export class SqliteConnector implements ConnectorPluginContract<SqliteConfig>, OnModuleDestroy {
  readonly configSchema: JsonSchema = {
    type: 'object',
    title: 'SQLite file',
    additionalProperties: false,
    properties: {
      storageKey: {
        type: 'string',
        maxLength: 1024,
        readOnly: true,
        contentMediaType: 'application/vnd.sqlite3',
        description: 'Set by the server when a database file is uploaded (POST /connectors/{id}/upload)',
      },
      path: {
        type: 'string',
        title: 'File path',
        description:
          'Absolute path of the database file on the server. It must lie inside one of the directories in ' +
          'SQLITE_ALLOWED_DIRS; symbolic links are followed before checking. Omit it to upload the file instead.',
        minLength: 1,
        maxLength: 4096,
        examples: ['/srv/sluice/sqlite/chinook.sqlite'],
      },
    },
  };

  readonly authSchema: JsonSchema = {
    type: 'object',
    title: 'Credentials',
    additionalProperties: false,
    properties: {},
  };

  readonly sql: SqlCapability<SqliteConfig> = {
    dialect: 'sqlite',
    introspect: (ctx) => this.introspect(ctx),
    execute: (ctx, sql, options) => this.execute(ctx, sql, options),
  };

  private readonly pool: SqliteProcessPool;

  constructor(
    private readonly env: EnvDto,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
  ) {
    this.pool = createSqlitePool({ size: env.SQLITE_POOL_SIZE, queueLimit: env.SQLITE_QUEUE_LIMIT });
  }

  parseConfig(config: Record<string, unknown>, _auth?: Record<string, unknown>, scope?: ConfigScope): SqliteConfig {
    const tenantId = scope?.tenantId;
    if (typeof config.storageKey === 'string') {
      // Only the caller's own uploads: another tenant's key answers like a key that holds nothing.
      if (!tenantId || !config.storageKey.startsWith(`${tenantId}/`)) return NO_UPLOAD;
      const path = this.storage.localPath(config.storageKey);
      if (!path) {
        throw new ConnectorConfigError([
          { field: 'config.storageKey', messages: ['uploaded SQLite files need the local storage driver'] },
        ]);
      }
      if (!isFile(path)) return NO_UPLOAD;
      // The upload lives under <tenant>/<connector>/: that directory is all it may reach.
      return { path, allowed: dirname(path), awaitingUpload: false };
    }
    if (typeof config.path !== 'string') return NO_UPLOAD;
    const dirs = rootsForTenant(this.env.SQLITE_ALLOWED_DIRS, tenantId);
    const allowed = dirs.length ? dirs.join(',') : undefined;
    const realPath = resolveSqlitePath(config.path, allowed);
    if (isWithin(realOrLexical(this.env.STORAGE_DIR), realPath)) {
      throw new ConnectorConfigError([
        { field: 'config.path', messages: ['must not be inside STORAGE_DIR, where uploaded files are kept'] },
      ]);
    }
    return { path: config.path, allowed, awaitingUpload: false };
  }

  async test(ctx: ConnectorContext<SqliteConfig>): Promise<ProbeOutcome> {
    if (ctx.config.awaitingUpload) return { success: false, message: 'No file uploaded yet', details: {} };
    const check = checkSqlitePath(ctx.config.path, ctx.config.allowed);
    // A path outside the allowed directories is refused like a blocked address: not a failed probe.
    if (check.problem?.kind === 'refused') {
      throw new ConnectorConfigError([{ field: 'config.path', messages: [check.problem.message] }]);
    }
    if (check.problem)
      return { success: false, message: `Cannot open the SQLite file: ${check.problem.message}.`, details: {} };
    if (ctx.signal.aborted) return { success: false, message: 'The connection test was cancelled.', details: {} };
    try {
      const [[probe]] = await readSqlite<[[{ version: string; tables: number }]]>(
        this.pool,
        check.realPath,
        [{ sql: PROBE_SQL }],
        this.env.CONNECTOR_PROBE_TIMEOUT_MS,
        ctx.signal,
      );
      return {
        success: true,
        message: `Connected to SQLite ${probe.version}`,
        details: { serverVersion: probe.version, database: basename(check.realPath), tables: probe.tables },
      };
    } catch (error) {
      if (!(error instanceof SqliteTaskError)) throw error;
      return { success: false, message: describeOpenError(error), details: {} };
    }
  }

  /** An uploaded database is recorded by where it is stored; the file type was checked against the schema. */
  upload(config: Record<string, unknown>, file: UploadedFile): Record<string, unknown> {
    return { ...config, storageKey: file.key };
  }

  async *discover(ctx: ConnectorContext<SqliteConfig>): AsyncIterable<DiscoveredItem[]> {
    const tables = await this.readCatalog(ctx);
    yield* inBatches(tables.map((table) => tableItem(toTableInfo(table), table.sql)));
  }

  async release(_connectorId: string): Promise<void> {
    // Nothing is held between calls: every task opens the file in a pooled process.
  }

  onModuleDestroy(): void {
    this.pool.close();
  }

  private async introspect(ctx: ConnectorContext<SqliteConfig>): Promise<SchemaSnapshot> {
    const realPath = this.openablePath(ctx.config);
    const tables = await this.readCatalog(ctx, realPath);
    return {
      dialect: 'sqlite',
      database: basename(realPath),
      tables: tables.map(toTableInfo),
      catalogQueries: CATALOG_QUERIES,
    };
  }

  private async readCatalog(ctx: ConnectorContext<SqliteConfig>, knownPath?: string): Promise<SqliteTable[]> {
    const realPath = knownPath ?? this.openablePath(ctx.config);
    try {
      const [columnRows, keyRows] = await readSqlite<[ColumnRow[], ForeignKeyRow[]]>(
        this.pool,
        realPath,
        catalogStatements(this.env.SQLITE_MAX_TABLES),
        this.env.SCHEMA_INTROSPECT_TIMEOUT_MS,
        ctx.signal,
      );
      return buildSqliteCatalog(columnRows, keyRows);
    } catch (error) {
      if (!(error instanceof SqliteTaskError)) throw error;
      const code = error.code;
      const unreadable = code === 'SQLITE_NOTADB' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_BUSY';
      throw new ConnectorRequestError(unreadable ? 'SQLITE_FILE_UNAVAILABLE' : 'SQL_ERROR', describeOpenError(error));
    }
  }

  private async execute(
    ctx: ConnectorContext<SqliteConfig>,
    sql: string,
    options: ExecuteOptions,
  ): Promise<QueryResult> {
    const realPath = this.openablePath(ctx.config);
    // The timeout is the child process's deadline: SQLite cannot be interrupted from here.
    const { timeoutMs, ...limits } = boundExecute(options, this.env);
    return timed(() => runSqliteQuery(this.pool, { path: realPath, sql, ...limits }, timeoutMs, ctx.signal));
  }

  /** Checked again at every use: the file or a link on its path may have changed since saving. */
  private openablePath(config: SqliteConfig): string {
    if (config.awaitingUpload)
      throw new ConnectorRequestError('SQLITE_FILE_UNAVAILABLE', 'No SQLite file uploaded yet.');
    const check = checkSqlitePath(config.path, config.allowed);
    if (!check.problem) return check.realPath;
    if (check.problem.kind === 'refused') {
      throw new ConnectorConfigError([{ field: 'config.path', messages: [check.problem.message] }]);
    }
    throw new ConnectorRequestError(
      'SQLITE_FILE_UNAVAILABLE',
      `Cannot open the SQLite file: ${check.problem.message}.`,
    );
  }
}
