import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth/role';
import { ConnectorService } from '@sluice/connectors/connector.service';
import { FileConnectorService } from '@sluice/connectors/files/file-connector.service';
import { ContentQueryDto, ContentResponseDto } from '@sluice/connectors/http/dto/content.dto';
import { BadRequestError, ConflictError, NotFoundError } from '@sluice/core/errors/domain-error';
import { newId } from '@sluice/core/ids/ids';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '@sluice/core/pagination/pagination';
import { createHash } from 'node:crypto';
import { DocumentEntity } from './document.entity';
import { DocumentRepository } from './document.repository';
import { CreateDocumentDto, UpdateDocumentDto } from './http/dto/document.dto';
import { DocumentPageDto, DocumentResponseDto, ListDocumentsQueryDto } from './http/dto/sync.dto';
import { mapDocument } from './mappers';

const DOCUMENT_NOT_FOUND = () => new NotFoundError('DOCUMENT_NOT_FOUND', 'Document not found');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Documents one by one: read, add by hand, change, delete, and their content. */
@Injectable()
export class DocumentService {
  constructor(
    private readonly connectors: ConnectorService,
    private readonly documents: DocumentRepository,
    private readonly files: FileConnectorService,
  ) {}

  async list(auth: AuthContext, connectorId: string, query: ListDocumentsQueryDto): Promise<DocumentPageDto> {
    await this.connectors.find(auth.tenantId, connectorId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filter = { status: query.status, q: query.q };
    const [rows, total] = await this.documents.page(
      auth.tenantId,
      connectorId,
      filter,
      limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, total, limit, mapDocument);
  }

  async get(auth: AuthContext, connectorId: string, id: string): Promise<DocumentResponseDto> {
    return mapDocument(await this.find(auth, connectorId, id));
  }

  /** A document added by hand (`kind: record`): a sync never marks it deleted. */
  async create(auth: AuthContext, connectorId: string, dto: CreateDocumentDto): Promise<DocumentResponseDto> {
    await this.connectors.find(auth.tenantId, connectorId);
    const content = dto.content ?? '';
    const created = await this.documents.insert({
      id: newId('document'),
      tenantId: auth.tenantId,
      connectorId,
      externalId: dto.externalId,
      kind: 'record',
      name: dto.name,
      path: null,
      mimeType: 'text/plain',
      size: String(Buffer.byteLength(content)),
      checksum: sha256(content),
      status: 'synced',
      error: null,
      metadata: { ...dto.metadata, content },
      syncedAt: new Date(),
      lastSeenRunId: null,
    });
    if (!created)
      throw new ConflictError('DOCUMENT_EXISTS', `This connector already has a document "${dto.externalId}"`);
    return mapDocument(created);
  }

  async update(
    auth: AuthContext,
    connectorId: string,
    id: string,
    dto: UpdateDocumentDto,
  ): Promise<DocumentResponseDto> {
    const current = await this.find(auth, connectorId, id);
    const changes: Partial<DocumentEntity> = {};
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.metadata !== undefined) changes.metadata = { ...current.metadata, ...dto.metadata };
    if (dto.content !== undefined) {
      if (current.kind !== 'record') {
        throw new BadRequestError(
          'CONTENT_READ_ONLY',
          'The content of a synced document comes from its source; only documents added by hand can be edited',
        );
      }
      changes.metadata = { ...(changes.metadata ?? current.metadata), content: dto.content };
      changes.size = String(Buffer.byteLength(dto.content));
      changes.checksum = sha256(dto.content);
    }
    await this.documents.update(auth.tenantId, connectorId, id, changes);
    return this.get(auth, connectorId, id);
  }

  async remove(auth: AuthContext, connectorId: string, id: string): Promise<void> {
    await this.find(auth, connectorId, id);
    await this.documents.delete(auth.tenantId, connectorId, id);
  }

  /** Text of a hand-made document, DDL of a table or view, or a window of a file. */
  async content(
    auth: AuthContext,
    connectorId: string,
    id: string,
    window: ContentQueryDto,
  ): Promise<ContentResponseDto> {
    const doc = await this.find(auth, connectorId, id);
    if (doc.status === 'deleted') throw new ConflictError('DOCUMENT_DELETED', 'The source no longer has this document');
    if (doc.kind === 'file')
      return this.files.content(auth, connectorId, { ...window, path: doc.path ?? doc.externalId });
    const text = String((doc.kind === 'record' ? doc.metadata.content : doc.metadata.ddl) ?? '');
    const lines = text.split('\n');
    return {
      connectorId,
      content: text,
      encoding: 'utf-8',
      contentType: doc.kind === 'record' ? 'text/plain' : 'application/sql',
      totalSize: Buffer.byteLength(text),
      chunkInfo: {
        mode: 'lines',
        offset: 0,
        limit: lines.length,
        totalLines: lines.length,
        returnedLines: lines.length,
        hasMore: false,
      },
    };
  }

  private async find(auth: AuthContext, connectorId: string, id: string): Promise<DocumentEntity> {
    await this.connectors.find(auth.tenantId, connectorId);
    const doc = await this.documents.findOne(auth.tenantId, connectorId, id);
    if (!doc) throw DOCUMENT_NOT_FOUND();
    return doc;
  }
}
