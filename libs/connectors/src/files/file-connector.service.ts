import { Inject, Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth/role';
import { BadRequestError, ConflictError } from '@sluice/core/errors/domain-error';
import type { Readable } from 'node:stream';
import { ConnectorEntity } from '../connector.entity';
import { ConnectorRepository } from '../connector.repository';
import { ConnectorService } from '../connector.service';
import { ConnectorResponseDto } from '../http/dto/connector.dto';
import { ContentQueryDto, ContentResponseDto } from '../http/dto/content.dto';
import { ContentReader, ReadableFile } from './content-reader';
import type { FileStorage } from './file-storage';
import { FILE_STORAGE } from './file-storage.provider';
import { StoredFile, UploadService } from './upload.service';

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
    private readonly reader: ContentReader,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
  ) {}

  async upload(auth: AuthContext, id: string, body: Readable, request: UploadRequest): Promise<ConnectorResponseDto> {
    const connector = await this.connectors.find(auth.tenantId, id);
    if (connector.type !== 'local_file') {
      throw new BadRequestError(
        'UPLOAD_NOT_SUPPORTED',
        `Uploads go to local_file connectors; this one is ${connector.type}`,
      );
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
    await this.repo.update(auth.tenantId, id, {
      config: {
        ...connector.config,
        fileName: declared.fileName ?? stored.fileName,
        storageKey: stored.key,
        sha256: stored.sha256,
        mimeType: stored.mimeType,
      },
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
    if (declared.storageKey && declared.storageKey !== stored.key) await this.uploads.discard(declared.storageKey);
    return this.connectors.get(auth, id);
  }

  async content(auth: AuthContext, id: string, query: ContentQueryDto): Promise<ContentResponseDto> {
    const connector = await this.connectors.find(auth.tenantId, id);
    const file = this.storedFile(connector);
    const content = await this.reader.read(this.storage, file, query);
    return { connectorId: id, ...content };
  }

  private storedFile(connector: ConnectorEntity): ReadableFile {
    if (connector.type !== 'local_file') {
      throw new BadRequestError(
        'CONTENT_NOT_SUPPORTED',
        `Content windows are served for local_file connectors; this one is ${connector.type}`,
      );
    }
    if (connector.status !== 'active') {
      throw new ConflictError('CONNECTOR_NOT_ACTIVE', `Connector is not active (status: ${connector.status})`);
    }
    const file = connector.metadata.file as StoredFile | undefined;
    if (!file) throw new ConflictError('CONNECTOR_NOT_ACTIVE', 'Connector is not active (status: pending_upload)');
    return file;
  }
}
