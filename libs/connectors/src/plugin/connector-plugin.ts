import type { LoggerService } from '@nestjs/common';
import type { SafeNetwork, SqlDialect, SchemaSnapshot } from '@sluice/core';
import type { Readable } from 'node:stream';
import type { ContentWindow, FileContent } from '../files/content-reader';

export type { DialectSpec, SqlDialect } from '@sluice/core';
export type { ColumnInfo, ForeignKeyInfo, SchemaSnapshot, TableInfo } from '@sluice/core';

export const CONNECTOR_CATEGORIES = ['sql', 'files', 'object_storage', 'api', 'stream'] as const;
export type ConnectorCategory = (typeof CONNECTOR_CATEGORIES)[number];
export const READINESS_LEVELS = ['ready', 'coming_soon'] as const;
export type Readiness = (typeof READINESS_LEVELS)[number];
export type Capability = 'test' | 'introspect' | 'execute' | 'discover' | 'read' | 'upload';
/**
 * What one sync's walk of discover() says about the source. `snapshot`: the walk lists everything
 * the source has, so documents it no longer lists are marked deleted. `append`: the walk brings
 * only what is new since the last sync (messages taken from a queue), so earlier documents stay.
 */
export type SyncMode = 'snapshot' | 'append';

/** A JSON Schema (draft 2020-12 subset understood by ajv), served by GET /connector-types. */
export type JsonSchema = Record<string, unknown>;

/** What the @ConnectorPlugin decorator records about a type. */
export interface ConnectorTypeInfo {
  type: string;
  category: ConnectorCategory;
  displayName: string;
  description: string;
  readiness: Readiness;
  capabilities: Capability[];
  /** SQL types only: the dialect their SQL is written in. */
  dialect?: SqlDialect;
  /**
   * Config fields (dotted paths, e.g. `ssl.mode`) that decide where the credentials are sent:
   * host, port, user, database, TLS mode, a connection string, an endpoint or base URL. When an
   * update changes one of them, the stored secrets are not carried over: the request must send
   * them again (400 CREDENTIALS_REQUIRED otherwise). Types without secrets may leave it empty.
   */
  destinationFields: string[];
  /**
   * Records (kind `record`) a complete sync no longer finds are pruned, like files and tables.
   * Off by default: records added by hand, pushed to a webhook or appended from a queue stay.
   */
  pruneRecords?: boolean;
  /**
   * The type is fed by pushes (POST /hooks/{id}), not by pulling: a sync has nothing to fetch
   * and answers 409 CONNECTOR_RECEIVES_PUSHES.
   */
  receivesPushes?: boolean;
  /** How a sync treats documents the walk did not list (see {@link SyncMode}); `snapshot` by default. */
  syncMode: SyncMode;
}

/** Who the configuration is parsed for: paths and stored files are judged per tenant. */
export interface ConfigScope {
  tenantId: string;
}

/** Everything a plugin call may use. Plugins never read the database or env themselves. */
export interface ConnectorContext<C = Record<string, unknown>> {
  tenantId: string;
  /** Null for POST /connectors/test-connection (an unsaved configuration). */
  connectorId: string | null;
  /** Validated `config` and decrypted `authConfig`, merged by the plugin's parseConfig. */
  config: C;
  /** Cancelled when the caller gives up or a timeout passes. */
  signal: AbortSignal;
  /** Every outbound connection resolves its host here first and connects to the address returned. */
  net: SafeNetwork;
  logger: LoggerService;
}

export interface ProbeDetails {
  serverVersion?: string;
  database?: string;
  tables?: number;
  [key: string]: unknown;
}

/** The outcome of a real connection attempt. Failures are results, not exceptions. */
export interface ProbeOutcome {
  success: boolean;
  message: string;
  /** A transient remark (e.g. "SSL is off"); never persisted. */
  warning?: string;
  details: ProbeDetails;
}

export interface ExecuteOptions {
  /** Run inside a read-only transaction (the database itself refuses writes). */
  readOnly: boolean;
  /** Statement timeout enforced by the database. */
  timeoutMs: number;
  /** Rows returned at most; one more is read to tell whether the result was cut. */
  maxRows: number;
  /** Bytes of values returned at most (as JSON); the plugin's RESULT_MAX_BYTES when left out. */
  maxBytes?: number;
}

export interface QueryColumn {
  name: string;
  type: string;
}

export interface QueryResult {
  columns: QueryColumn[];
  /** Row values in column order (arrays, so duplicate column names survive). */
  rows: unknown[][];
  rowCount: number;
  truncated: boolean;
  /** Why the rows were cut: the row cap or the byte budget; null when nothing was cut. */
  truncatedReason: 'rows' | 'bytes' | null;
  executionMs: number;
}

export interface SqlCapability<C> {
  readonly dialect: SqlDialect;
  introspect(ctx: ConnectorContext<C>): Promise<SchemaSnapshot>;
  execute(ctx: ConnectorContext<C>, sql: string, options: ExecuteOptions): Promise<QueryResult>;
}

/** A file or table found at the source, as a sync will turn it into a document. */
export interface DiscoveredItem {
  externalId: string;
  kind: 'file' | 'table' | 'view' | 'record';
  name: string;
  path?: string;
  mimeType?: string;
  size?: number;
  checksum?: string;
  modifiedAt?: Date;
  metadata?: Record<string, unknown>;
}

export interface ByteRange {
  start?: number;
  end?: number;
}

/** A file the server has just stored for a connector (POST /connectors/:id/upload). */
export interface UploadedFile {
  /** Storage key, `<tenantId>/<connectorId>/<unique name>`. */
  key: string;
  fileName: string;
  size: number;
  /** Hex SHA-256 of the bytes as stored. */
  sha256: string;
  mimeType: string;
}

/** What a type serving content windows from its own stored file sees of the saved connector. */
export interface SavedConnector {
  id: string;
  tenantId: string;
  status: string;
  /** What the server recorded about the connector, e.g. the uploaded file (`metadata.file`). */
  metadata: Record<string, unknown>;
}

/**
 * One connector type. Implementations live in `plugins/<type>/`, carry @ConnectorPlugin and
 * are found at start by the registry: adding a type is adding a folder.
 */
export interface ConnectorPlugin<C = Record<string, unknown>> {
  /** JSON Schema of the non-secret `config`. */
  readonly configSchema: JsonSchema;
  /** JSON Schema of the secret `authConfig` (each property is a secret, masked in answers). */
  readonly authSchema: JsonSchema;
  /**
   * Turns validated `config` and decrypted `authConfig` into the typed configuration the other
   * methods take. Both objects already passed their JSON Schemas; throw ConnectorConfigError
   * for cross-field problems.
   */
  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>, scope: ConfigScope): C;
  /** A real connection attempt, bounded by ctx.signal. */
  test(ctx: ConnectorContext<C>): Promise<ProbeOutcome>;
  /**
   * Tables and views, files, or messages, in batches.
   *
   * The sync consumes this as an async generator, one batch at a time: it stores a batch (one
   * transaction, committed) and only then asks for the next one. A plugin whose source must be
   * told that items were taken (a message queue) relies on that order:
   * - it acknowledges a batch when the generator is resumed after that batch's `yield`, that is,
   *   once the batch is stored, and before it fetches the next batch;
   * - when the walk ends early (the generator's `return()` on a stop or an error, `throw()`,
   *   ctx.signal aborting, or the process dying) it acknowledges nothing it has not acknowledged
   *   already, so the source hands those items out again (a requeue, or a redelivery after the
   *   source's ack wait);
   * - an item handed out again carries the same externalId and checksum, so storing it twice
   *   upserts it as unchanged: a crash between the store and the acknowledgement duplicates
   *   nothing. Such types declare `syncMode: 'append'`.
   */
  discover?(ctx: ConnectorContext<C>): AsyncIterable<DiscoveredItem[]>;
  /**
   * One item found again by its externalId, for a one-document sync; null when the source no
   * longer has it. Without it, a one-document sync walks discover() until it meets the item.
   */
  lookup?(ctx: ConnectorContext<C>, externalId: string): Promise<DiscoveredItem | null>;
  /** The bytes of one discovered file. */
  read?(
    ctx: ConnectorContext<C>,
    item: Pick<DiscoveredItem, 'externalId' | 'path'>,
    range?: ByteRange,
  ): Promise<Readable>;
  readonly sql?: SqlCapability<C>;
  /**
   * Types fed by uploads (capability `upload`): the stored `config` once a file is kept for the
   * connector, that is, which facts of the upload the type records. Without it, uploads are refused.
   */
  upload?(config: Record<string, unknown>, file: UploadedFile): Record<string, unknown>;
  /**
   * A window of the content the server keeps for the connector itself (an uploaded file, indexed
   * at upload). Without it, content windows are read through read() for file sources.
   */
  content?(connector: SavedConnector, window: ContentWindow): Promise<FileContent>;
  /**
   * Secrets the server makes at creation when the request left them out (a webhook's signing
   * secret): merged into `authConfig`, stored encrypted, and shown once in the create answer
   * (`generatedSecrets`). Returns only what it generated; `{}` when `auth` already has it.
   */
  generateSecrets?(auth: Record<string, unknown>): Record<string, string>;
  /** Drops what is cached for one connector (pools), on update, delete and shutdown. */
  release?(connectorId: string): Promise<void>;
}
