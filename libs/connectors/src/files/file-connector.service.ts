import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import { BadRequestError, ConflictError, EnvDto } from '@sluice/core';
import { lookup } from 'mime-types';
import type { Readable } from 'node:stream';
import { ConnectorEntity } from '../connector.entity';
import { ConnectorRegistry } from '../connector.registry';
import { ConnectorRepository } from '../connector.repository';
import { ConnectorRuntime } from '../connector.runtime';
import { ConnectorService } from '../connector.service';
import { ConnectorResponseDto } from '../dto/connector.dto';
import { ContentQueryDto, ContentResponseDto } from '../dto/content.dto';
import type { ContentWindow } from './content-reader';
import { readStreamWindow } from './stream-window';
import { UploadService } from './upload.service';
import type { ConnectorCategory } from '../plugin/connector-plugin';

/** Categories whose files are read through the plugin's read() by ?path=. */
const CONTENT_CATEGORIES: ConnectorCategory[] = ['files', 'object_storage'];

export interface UploadRequest {
  fileName?: string;
  contentType?: string;
  contentLength?: number;
  /** Fires when the client goes away: the partial file is discarded. */
  signal?: AbortSignal;
}

/** The two-step flow of uploaded-file connectors: create (pending_upload), then upload; and reads. */
@Injectable()
export class FileConnectorService {
  constructor(
    private readonly connectors: ConnectorService,
    private readonly repo: ConnectorRepository,
    private readonly uploads: UploadService,
    private readonly runtime: ConnectorRuntime,
    private readonly registry: ConnectorRegistry,
    private readonly env: EnvDto,
  ) {}

  async upload(auth: AuthContext, id: string, body: Readable, request: UploadRequest): Promise<ConnectorResponseDto> {
    const connector = await this.connectors.find(auth.tenantId, id);
    const { plugin } = this.registry.get(connector.type);
    if (!plugin.upload) {
      throw new BadRequestError('UPLOAD_NOT_SUPPORTED', `Connectors of type ${connector.type} do not take uploads`);
    }
    if (connector.status === 'inactive') {
      throw new ConflictError(
        'CONNECTOR_INACTIVE',
        'Connector is not active (status: inactive); set its status to active first',
      );
    }
    const declared = connector.config as {
      fileName?: string;
      encoding?: string;
      contentType?: string;
      storageKey?: string;
    };
    // Streamed to a temporary name; on any failure nothing is kept and the connector is unchanged.
    const stored = await this.uploads.store(auth.tenantId, id, body, {
      fileName: request.fileName ?? declared.fileName,
      declaredEncoding: declared.encoding,
      contentType: declared.contentType ?? request.contentType,
      contentLength: request.contentLength,
      signal: request.signal,
    });
    const properties = (plugin.configSchema.properties ?? {}) as Record<string, { contentMediaType?: string }>;
    const expected = properties.storageKey?.contentMediaType;
    if (expected && stored.mimeType !== expected) {
      await this.uploads.discard(stored.key);
      throw new BadRequestError(
        'UNSUPPORTED_FILE_TYPE',
        `A ${connector.type} connector takes ${expected} files; this one is ${stored.mimeType}`,
      );
    }
    // The type decides what it records: an SQLite connector where the file is, nothing else.
    const config = plugin.upload({ ...connector.config }, stored);
    await this.repo.update(auth.tenantId, id, {
      config,
      status: 'active',
      lastError: null,
      lastUsedAt: new Date(),
      lastSyncRowCount: stored.csvRowCount === undefined ? null : String(stored.csvRowCount),
      metadata: {
        ...connector.metadata,
        fileSize: stored.size,
        mimeType: stored.mimeType,
        encoding: stored.encoding,
        lineCount: stored.lineCount,
        lastModified: stored.lastModified,
        file: stored,
      },
    });
    // A replaced file goes once the new one is recorded; the old pool must not keep it open.
    if (declared.storageKey && declared.storageKey !== stored.key) {
      await plugin.release?.(id);
      await this.uploads.discard(declared.storageKey);
    }
    return this.connectors.get(auth, id);
  }

  async content(auth: AuthContext, id: string, query: ContentQueryDto): Promise<ContentResponseDto> {
    const connector = await this.connectors.find(auth.tenantId, id);
    const { path, ...window } = query;
    // A type that keeps its own file (an upload) serves the window; file sources go through read().
    const { plugin } = this.registry.get(connector.type);
    if (plugin.content) return { connectorId: id, ...(await plugin.content(connector, window)) };
    return { connectorId: id, ...(await this.sourceWindow(connector, path, window)) };
  }

  /** A window of one file of a file-source connector (a folder), read through its plugin. */
  private async sourceWindow(connector: ConnectorEntity, path: string | undefined, window: ContentWindow) {
    const { registered, parsed } = this.runtime.open(connector);
    const plugin = registered.plugin;
    if (!plugin.read || !CONTENT_CATEGORIES.includes(registered.info.category)) {
      throw new BadRequestError(
        'CONTENT_NOT_SUPPORTED',
        `Connectors of type ${connector.type} have no file content to read`,
      );
    }
    if (!path) {
      throw new BadRequestError(
        'PATH_REQUIRED',
        'Name the file with ?path= (a path relative to the folder, or to the bucket prefix)',
      );
    }
    if (connector.status === 'inactive') {
      throw new ConflictError('CONNECTOR_NOT_ACTIVE', 'Connector is not active (status: inactive)');
    }
    const ctx = this.runtime.context(connector.tenantId, connector.id, parsed, this.env.CONNECTOR_PROBE_TIMEOUT_MS * 6);
    const item = { externalId: path, path };
    const mimeType = lookup(path) || 'application/octet-stream';
    return readStreamWindow((range) => plugin.read!(ctx, item, range), { mimeType, size: null }, window);
  }
}
