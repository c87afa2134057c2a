import { Inject, OnModuleDestroy } from '@nestjs/common';
import { isWithin, realOrLexical, rootsForTenant } from '@sluice/core/config/allowed-roots';
import { EnvDto } from '@sluice/core/config/env.dto';
import BetterSqlite3, { Database } from 'better-sqlite3';
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
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { errorCode, errorMessage } from '../sql-common/connection-errors';
import { PoolCache } from '../sql-common/pool-cache';
import { inBatches, tableItem } from '../sql-common/table-discovery';
import { CATALOG_QUERIES, PROBE_SQL, readSqliteCatalog, SqliteTable } from './sqlite-catalog';
import { runSqliteQuery } from './sqlite-execute';
import { checkSqlitePath, resolveSqlitePath } from './sqlite-path';

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

// A file locked by a writer should fail fast rather than hold the event loop.
const BUSY_TIMEOUT_MS = 1_000;

function positive(value: number, fallback: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

function openReadOnly(path: string): Database {
  return new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
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
 * SQLite files on the server's own disk, limited to SQLITE_ALLOWED_DIRS. Introspection reads the
 * schema in two queries; SQL runs in a child process (read-only unless a write is allowed) that
 * is killed at the timeout, since SQLite cannot be interrupted from the event loop.
 */
@ConnectorPlugin({
  type: 'sqlite',
  category: 'sql',
  displayName: 'SQLite',
  description:
    'An SQLite database file: one on the server inside a directory the administrator allowed, or one uploaded to the connector.',
  readiness: 'ready',
  capabilities: ['test', 'introspect', 'execute', 'discover', 'upload'],
  dialect: 'sqlite',
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

  private readonly handles = new PoolCache<Database>(async (db) => void db.close());

  constructor(
    private readonly env: EnvDto,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
  ) {}

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
    let db: Database | undefined;
    try {
      db = openReadOnly(check.realPath);
      const probe = db.prepare(PROBE_SQL).get() as { version: string; tables: number };
      return {
        success: true,
        message: `Connected to SQLite ${probe.version}`,
        details: { serverVersion: probe.version, database: basename(check.realPath), tables: probe.tables },
      };
    } catch (error) {
      return { success: false, message: describeOpenError(error), details: {} };
    } finally {
      db?.close();
    }
  }

  async *discover(ctx: ConnectorContext<SqliteConfig>): AsyncIterable<DiscoveredItem[]> {
    const tables = await this.readCatalog(ctx);
    yield* inBatches(tables.map((table) => tableItem(toTableInfo(table), table.sql)));
  }

  async release(connectorId: string): Promise<void> {
    await this.handles.release(connectorId);
  }

  async onModuleDestroy(): Promise<void> {
    await this.handles.closeAll();
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
    if (!ctx.connectorId) {
      const db = this.open(realPath);
      try {
        return this.catalogOf(db);
      } finally {
        db.close();
      }
    }
    // Keyed on the file's identity too: a file replaced by a new upload gets a fresh handle.
    const { dev, ino } = statSync(realPath);
    const db = await this.handles.get(ctx.connectorId, { realPath, dev, ino }, () => this.open(realPath));
    return this.catalogOf(db);
  }

  private async execute(
    ctx: ConnectorContext<SqliteConfig>,
    sql: string,
    options: ExecuteOptions,
  ): Promise<QueryResult> {
    const realPath = this.openablePath(ctx.config);
    const timeoutMs = positive(options.timeoutMs, this.env.SQL_STATEMENT_TIMEOUT_MS);
    const started = performance.now();
    const result = await runSqliteQuery(
      {
        path: realPath,
        sql,
        readOnly: options.readOnly !== false,
        maxRows: positive(options.maxRows, this.env.SQL_MAX_ROWS),
      },
      timeoutMs,
      ctx.signal,
    );
    return { ...result, executionMs: Math.round(performance.now() - started) };
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

  private open(realPath: string): Database {
    try {
      return openReadOnly(realPath);
    } catch (error) {
      throw new ConnectorRequestError('SQLITE_FILE_UNAVAILABLE', describeOpenError(error));
    }
  }

  private catalogOf(db: Database): SqliteTable[] {
    try {
      return readSqliteCatalog(db);
    } catch (error) {
      throw new ConnectorRequestError('SQL_ERROR', describeOpenError(error));
    }
  }
}
