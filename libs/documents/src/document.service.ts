import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import {
  ConnectorRegistry,
  ConnectorService,
  FileConnectorService,
  ContentQueryDto,
  ContentResponseDto,
} from '@sluice/connectors';
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  newId,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  toPage,
  JobName,
  QueueName,
  retriedJob,
  SyncDocumentPayload,
} from '@sluice/core';
import type { Queue } from 'bull';
import { createHash } from 'node:crypto';
import { DocumentEntity } from './document.entity';
import { DocumentRepository } from './document.repository';
import { CreateDocumentDto, TrainResponseDto, TrainResultDto, UpdateDocumentDto } from './dto/document.dto';
import { DocumentPageDto, DocumentResponseDto, ListDocumentsQueryDto } from './dto/sync.dto';
import { mapDocument } from './mappers';
import { assertSyncable } from './sync-rules';

const DOCUMENT_NOT_FOUND = () => new NotFoundError('DOCUMENT_NOT_FOUND', 'Document not found');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function whyNotTrainable(doc: DocumentEntity | undefined): string | null {
  if (!doc) return 'Document not found in this connector';
  if (doc.kind !== 'table' && doc.kind !== 'view') return `Only tables and views can be trained; this is a ${doc.kind}`;
  if (doc.status === 'deleted') return 'The source no longer has this table';
  if (typeof doc.metadata.ddl !== 'string' || doc.metadata.ddl.trim() === '') {
    return 'The document has no DDL yet; sync the connector first';
  }
  return null;
}

/** Documents one by one: read, add by hand, change, delete, and their content. */
@Injectable()
export class DocumentService {
  constructor(
    private readonly connectors: ConnectorService,
    private readonly documents: DocumentRepository,
    private readonly files: FileConnectorService,
    private readonly registry: ConnectorRegistry,
    @InjectQueue(QueueName.DocumentSync) private readonly queue: Queue<SyncDocumentPayload>,
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

  /**
   * Queues a sync of this one document, from any state (synced, failed, stopped, deleted).
   * `queued: false` when one was already queued or under way: that one is returned.
   */
  async sync(
    auth: AuthContext,
    connectorId: string,
    id: string,
  ): Promise<{ document: DocumentResponseDto; queued: boolean }> {
    const doc = await this.find(auth, connectorId, id);
    if (doc.kind === 'record') {
      throw new BadRequestError(
        'DOCUMENT_NOT_SYNCABLE',
        'This document was added by hand and has no source to sync from; change it with PUT instead',
      );
    }
    assertSyncable(await this.connectors.find(auth.tenantId, connectorId));
    const queued = await this.documents.markQueued(auth.tenantId, connectorId, id);
    if (!queued) return { document: await this.get(auth, connectorId, id), queued: false };
    await this.queue.add(JobName.SyncDocument, { tenantId: auth.tenantId, connectorId, documentId: id }, retriedJob());
    return { document: mapDocument(queued), queued: true };
  }

  /** Stops a queued or running one-document sync: the document ends `stopped` and keeps its last content. */
  async stop(auth: AuthContext, connectorId: string, id: string): Promise<DocumentResponseDto> {
    await this.find(auth, connectorId, id);
    if (!(await this.documents.stopSync(auth.tenantId, connectorId, id))) {
      throw new ConflictError('NOTHING_RUNNING', 'No sync of this document is queued or running');
    }
    return this.get(auth, connectorId, id);
  }

  /**
   * Marks table and view documents as trained for NL2SQL (preferred when choosing the tables a
   * question needs). Each id gets its own result; one bad id does not stop the others.
   */
  async train(auth: AuthContext, connectorId: string, documentIds: string[]): Promise<TrainResponseDto> {
    const connector = await this.connectors.find(auth.tenantId, connectorId);
    if (this.registry.get(connector.type).info.category !== 'sql') {
      throw new BadRequestError(
        'TRAIN_NOT_SUPPORTED',
        `Training marks tables for NL2SQL and needs a SQL connector; this one is of type ${connector.type}`,
      );
    }
    const found = new Map(
      (await this.documents.findMany(auth.tenantId, connectorId, [...new Set(documentIds)])).map((d) => [d.id, d]),
    );
    const results: TrainResultDto[] = documentIds.map((documentId) => {
      const reason = whyNotTrainable(found.get(documentId));
      return { documentId, ok: reason === null, reason };
    });
    const trained = results.filter((r) => r.ok).map((r) => r.documentId);
    await this.documents.markTrained(auth.tenantId, connectorId, [...new Set(trained)], new Date());
    return { trainedCount: trained.length, failedCount: results.length - trained.length, results };
  }

  /** Keys (`schema.table`) of the connector's tables and views marked trained and still at the source. */
  trainedTables(tenantId: string, connectorId: string): Promise<Set<string>> {
    return this.documents.trainedExternalIds(tenantId, connectorId);
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
