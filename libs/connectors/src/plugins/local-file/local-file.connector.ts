import { Inject } from '@nestjs/common';
import { ConflictError, DomainError } from '@sluice/core';
import * as mime from 'mime-types';
import type { Readable } from 'node:stream';
import { ContentReader, ContentWindow, FileContent, ReadableFile } from '../../files/content-reader';
import { normaliseEncoding, parseContentType } from '../../files/content-sniffing';
import { assertStorageKey, type FileStorage } from '../../files/file-storage';
import { FILE_STORAGE } from '../../files/file-storage.provider';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type {
  ByteRange,
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
  SavedConnector,
  UploadedFile,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';

/** Configuration of an uploaded-file connector. */
export interface LocalFileConfig {
  /** The name shown for the file; the upload's own name when absent. */
  fileName?: string;
  /** Declared text encoding, passed to the upload as `declaredEncoding`. */
  encoding?: string;
  /** Declared content type, passed to the upload as `contentType`. */
  contentType?: string;
  /** Set by the server once a file is uploaded: where it lives in file storage. */
  storageKey?: string;
  /** Set by the server once a file is uploaded: hex SHA-256 of its bytes. */
  sha256?: string;
  /** Set by the server once a file is uploaded: the detected MIME type. */
  mimeType?: string;
}

const NO_FILE = 'No file uploaded yet';
// The upload prefixes names with `<base36 time>-<8 random>-` to keep them unique.
const UNIQUE_PREFIX = /^[0-9a-z]+-[0-9a-z]{8}-/;

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fileName: { type: 'string', minLength: 1, maxLength: 255, description: 'Name of the file, e.g. customers.csv' },
    encoding: {
      type: 'string',
      minLength: 1,
      maxLength: 40,
      description: 'Text encoding (utf-8, latin1, windows-1252...); detected when absent',
    },
    contentType: { type: 'string', minLength: 1, maxLength: 255, description: 'MIME type; detected when absent' },
    storageKey: { type: 'string', maxLength: 1024, readOnly: true, description: 'Set by the server after an upload' },
    sha256: {
      type: 'string',
      pattern: '^[0-9a-f]{64}$',
      readOnly: true,
      description: 'Set by the server after an upload',
    },
    mimeType: { type: 'string', maxLength: 255, readOnly: true, description: 'Set by the server after an upload' },
  },
};

function configProblem(field: string, message: string): ConnectorConfigError {
  return new ConnectorConfigError([{ field: `config.${field}`, messages: [message] }]);
}

/**
 * A single file uploaded by the tenant (`POST /connectors/:id/upload`), kept in file storage.
 * Created empty; the upload sets `storageKey`, after which the file can be tested, discovered
 * and read like any other file source.
 */
@ConnectorPlugin({
  type: 'local_file',
  category: 'files',
  displayName: 'Uploaded file',
  description: 'A file uploaded to Sluice: create the connector, then upload its content.',
  readiness: 'ready',
  capabilities: ['test', 'upload', 'read', 'discover'],
})
export class LocalFileConnector implements ConnectorPluginContract<LocalFileConfig> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema: JsonSchema = { type: 'object', additionalProperties: false, properties: {} };

  constructor(
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    private readonly reader: ContentReader,
  ) {}

  parseConfig(config: Record<string, unknown>, _auth: Record<string, unknown>): LocalFileConfig {
    const parsed: LocalFileConfig = {};
    for (const field of ['fileName', 'encoding', 'contentType', 'storageKey', 'sha256', 'mimeType'] as const) {
      const value = config[field];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') throw configProblem(field, 'must be a string');
      parsed[field] = value;
    }
    if (parsed.encoding !== undefined && !normaliseEncoding(parsed.encoding)) {
      throw configProblem('encoding', 'is not an encoding this server can decode (try utf-8, latin1 or windows-1252)');
    }
    if (parsed.fileName !== undefined && /[\\/\0]/.test(parsed.fileName)) {
      throw configProblem('fileName', 'must be a bare file name, without directories');
    }
    if (parsed.storageKey !== undefined) {
      try {
        assertStorageKey(parsed.storageKey);
      } catch {
        throw configProblem('storageKey', 'is not a valid storage key');
      }
    }
    return parsed;
  }

  async test(ctx: ConnectorContext<LocalFileConfig>): Promise<ProbeOutcome> {
    let key: string | null;
    try {
      key = this.ownKey(ctx);
    } catch (error) {
      return { success: false, message: (error as Error).message, details: {} };
    }
    if (!key) return { success: false, message: NO_FILE, details: {} };
    const stat = await this.storage.stat(key);
    if (!stat) return { success: false, message: 'The uploaded file is missing from storage', details: {} };
    return {
      success: true,
      message: 'The uploaded file is stored',
      details: { fileName: this.fileName(ctx.config, key), size: stat.size },
    };
  }

  async *discover(ctx: ConnectorContext<LocalFileConfig>): AsyncIterable<DiscoveredItem[]> {
    const key = this.ownKey(ctx);
    if (!key) return;
    const stat = await this.storage.stat(key);
    if (!stat) return;
    const name = this.fileName(ctx.config, key);
    const declaredType = parseContentType(ctx.config.contentType).type;
    yield [
      {
        externalId: name,
        kind: 'file',
        name,
        path: name,
        mimeType: ctx.config.mimeType || declaredType || mime.lookup(name) || undefined,
        size: stat.size,
        checksum: ctx.config.sha256 ?? `${stat.lastModified.getTime()}-${stat.size}`,
        modifiedAt: stat.lastModified,
      },
    ];
  }

  /** Streams the file; `range.end` is inclusive. The connector has one file, named by discover. */
  async read(
    ctx: ConnectorContext<LocalFileConfig>,
    item: Pick<DiscoveredItem, 'externalId' | 'path'>,
    range?: ByteRange,
  ): Promise<Readable> {
    const key = this.ownKey(ctx);
    if (!key) throw new ConnectorRequestError('NO_FILE_UPLOADED', NO_FILE);
    if (item.externalId !== this.fileName(ctx.config, key)) {
      throw new ConnectorRequestError('FILE_NOT_FOUND', 'This connector holds no file by that name');
    }
    try {
      return await this.storage.createReadStream(key, range);
    } catch (error) {
      if (error instanceof DomainError && error.status === 404) {
        throw new ConnectorRequestError('FILE_NOT_FOUND', 'The uploaded file is missing from storage');
      }
      throw error;
    }
  }

  /** Records the stored file: its key, checksum and type, and its name unless one was declared. */
  upload(config: Record<string, unknown>, file: UploadedFile): Record<string, unknown> {
    return {
      ...config,
      fileName: config.fileName ?? file.fileName,
      storageKey: file.key,
      sha256: file.sha256,
      mimeType: file.mimeType,
    };
  }

  /** A line or byte window of the uploaded file, through the line index built at upload. */
  async content(connector: SavedConnector, window: ContentWindow): Promise<FileContent> {
    if (connector.status !== 'active') {
      throw new ConflictError('CONNECTOR_NOT_ACTIVE', `Connector is not active (status: ${connector.status})`);
    }
    const file = connector.metadata.file as ReadableFile | undefined;
    if (!file) throw new ConflictError('CONNECTOR_NOT_ACTIVE', 'Connector is not active (status: pending_upload)');
    return this.reader.read(this.storage, file, window);
  }

  /**
   * The storage key, if any, after checking it lies under this tenant's and connector's prefix:
   * `storageKey` travels in a config a client can also write, and must not reach another file.
   */
  private ownKey(ctx: ConnectorContext<LocalFileConfig>): string | null {
    const key = ctx.config.storageKey;
    if (!key) return null;
    if (!ctx.connectorId || !key.startsWith(`${ctx.tenantId}/${ctx.connectorId}/`)) {
      throw new ConnectorRequestError('FOREIGN_STORAGE_KEY', 'The stored file does not belong to this connector');
    }
    return key;
  }

  private fileName(config: LocalFileConfig, key: string): string {
    return config.fileName ?? key.slice(key.lastIndexOf('/') + 1).replace(UNIQUE_PREFIX, '');
  }
}
