import type {
  ConnectorRegistry,
  ConnectorService,
  FileConnectorService,
  ContentQueryDto,
  ContentResponseDto,
} from '@sluice/connectors';
import { DomainError, JobName, SyncDocumentPayload } from '@sluice/core';
import { caller, failure, FakeQueue, TENANT_B } from '../../../test/fakes/common';
import { FakeConnectorService, FakeRegistry, fakePlugin } from '../../../test/fakes/connectors';
import { FakeDocumentRepository } from '../../../test/fakes/documents';
import type { DocumentRepository } from './document.repository';
import { DocumentService } from './document.service';

describe('DocumentService', () => {
  const alice = caller();
  const bob = caller(TENANT_B);
  let connectors: FakeConnectorService;
  let documents: FakeDocumentRepository;
  let queue: FakeQueue<SyncDocumentPayload>;
  let fileWindows: Array<{ connectorId: string; query: ContentQueryDto }>;
  let service: DocumentService;
  let sqlId: string;
  let filesId: string;

  beforeEach(() => {
    connectors = new FakeConnectorService();
    documents = new FakeDocumentRepository();
    queue = new FakeQueue();
    fileWindows = [];
    const registry = new FakeRegistry()
      .register('postgresql', fakePlugin(), { category: 'sql', dialect: 'postgresql' })
      .register('folder', fakePlugin(), { category: 'files' });
    const files = {
      content: async (_auth: unknown, connectorId: string, query: ContentQueryDto): Promise<ContentResponseDto> => {
        fileWindows.push({ connectorId, query });
        return { connectorId, content: 'a,b', encoding: 'utf-8' } as ContentResponseDto;
      },
    };
    service = new DocumentService(
      connectors as unknown as ConnectorService,
      documents as unknown as DocumentRepository,
      files as unknown as FileConnectorService,
      registry as unknown as ConnectorRegistry,
      queue.asQueue(),
    );
    sqlId = connectors.add({ type: 'postgresql' }).id;
    filesId = connectors.add({ type: 'folder' }).id;
  });

  describe('list', () => {
    it('pages the connector documents newest first and follows the cursor to the end', async () => {
      for (let i = 0; i < 5; i++) documents.add({ connectorId: sqlId, name: `t${i}` });
      documents.add({ connectorId: filesId, name: 'other connector' });
      const first = await service.list(alice, sqlId, { limit: 2 });
      expect(first.data.map((d) => d.name)).toEqual(['t4', 't3']);
      expect(first.pagination).toMatchObject({ total: 5, limit: 2, hasMore: true });
      const second = await service.list(alice, sqlId, { limit: 2, cursor: first.pagination.nextCursor! });
      expect(second.data.map((d) => d.name)).toEqual(['t2', 't1']);
      const last = await service.list(alice, sqlId, { limit: 2, cursor: second.pagination.nextCursor! });
      expect(last.data.map((d) => d.name)).toEqual(['t0']);
      expect(last.pagination).toMatchObject({ hasMore: false, nextCursor: null });
    });

    it('filters by status and by a case-insensitive q on name or path', async () => {
      documents.add({ connectorId: sqlId, name: 'Orders', status: 'synced' });
      documents.add({ connectorId: sqlId, name: 'refunds', path: 'sales/ORDERS_old', status: 'deleted' });
      documents.add({ connectorId: sqlId, name: 'customers' });
      expect((await service.list(alice, sqlId, { q: 'orders' })).data.map((d) => d.name).sort()).toEqual([
        'Orders',
        'refunds',
      ]);
      expect((await service.list(alice, sqlId, { q: 'orders', status: 'deleted' })).data.map((d) => d.name)).toEqual([
        'refunds',
      ]);
    });

    it('is a 404 for a connector of another tenant, and for a cursor it never issued a 400', async () => {
      expect(await failure(service.list(bob, sqlId, {}))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      expect(await failure(service.list(alice, sqlId, { cursor: 'not-a-cursor' }))).toEqual({
        status: 400,
        code: 'INVALID_CURSOR',
      });
    });
  });

  describe('get', () => {
    it('maps the stored row to the response shape (size as a number, dates as ISO text)', async () => {
      const doc = documents.add({ connectorId: sqlId, size: '2048', kind: 'file', path: 'a/b.csv' });
      const got = await service.get(alice, sqlId, doc.id);
      expect(got).toMatchObject({ id: doc.id, connectorId: sqlId, size: 2048, path: 'a/b.csv' });
      expect(got.createdAt).toBe(doc.createdAt.toISOString());
    });

    it('is DOCUMENT_NOT_FOUND for an unknown id or the id of another connector', async () => {
      const elsewhere = documents.add({ connectorId: filesId });
      expect(await failure(service.get(alice, sqlId, 'doc_nope'))).toEqual({ status: 404, code: 'DOCUMENT_NOT_FOUND' });
      expect(await failure(service.get(alice, sqlId, elsewhere.id))).toEqual({
        status: 404,
        code: 'DOCUMENT_NOT_FOUND',
      });
    });

    it('never shows a document to another tenant, even through its own connector id', async () => {
      const bobs = connectors.add({ tenantId: TENANT_B, type: 'postgresql' });
      const doc = documents.add({ connectorId: sqlId });
      expect(await failure(service.get(bob, sqlId, doc.id))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      expect(await failure(service.get(bob, bobs.id, doc.id))).toEqual({ status: 404, code: 'DOCUMENT_NOT_FOUND' });
    });
  });

  describe('create', () => {
    it('stores a hand-made record with its content, size and checksum', async () => {
      const created = await service.create(alice, sqlId, {
        externalId: 'notes/glossary',
        name: 'Glossary',
        content: 'ARR: annual recurring revenue',
        metadata: { source: 'wiki' },
      });
      expect(created).toMatchObject({
        kind: 'record',
        status: 'synced',
        size: 29,
        mimeType: 'text/plain',
        metadata: { source: 'wiki', content: 'ARR: annual recurring revenue' },
      });
      expect(created.checksum).toMatch(/^[0-9a-f]{64}$/);
      const stored = await documents.findOne(alice.tenantId, sqlId, created.id);
      expect(stored).toMatchObject({ tenantId: alice.tenantId, externalId: 'notes/glossary' });
    });

    it('answers 409 DOCUMENT_EXISTS for an externalId the connector already has', async () => {
      await service.create(alice, sqlId, { externalId: 'x', name: 'One' });
      expect(await failure(service.create(alice, sqlId, { externalId: 'x', name: 'Two' }))).toEqual({
        status: 409,
        code: 'DOCUMENT_EXISTS',
      });
      expect(documents.ofConnector(sqlId).map((d) => d.name)).toEqual(['One']);
    });

    it('writes nothing for another tenant connector', async () => {
      expect(await failure(service.create(bob, sqlId, { externalId: 'x', name: 'One' }))).toEqual({
        status: 404,
        code: 'CONNECTOR_NOT_FOUND',
      });
      expect(documents.rows.size).toBe(0);
    });
  });

  describe('update', () => {
    it('merges metadata and replaces the content of a record, with a new size and checksum', async () => {
      const created = await service.create(alice, sqlId, {
        externalId: 'n',
        name: 'Notes',
        content: 'old',
        metadata: { a: 1 },
      });
      const updated = await service.update(alice, sqlId, created.id, {
        name: 'Notes 2',
        metadata: { b: 2 },
        content: 'brand new',
      });
      expect(updated).toMatchObject({ name: 'Notes 2', size: 9, metadata: { a: 1, b: 2, content: 'brand new' } });
      expect(updated.checksum).not.toBe(created.checksum);
    });

    it('refuses new content for a synced table (400 CONTENT_READ_ONLY) and changes nothing', async () => {
      const doc = documents.add({ connectorId: sqlId, name: 'orders' });
      expect(await failure(service.update(alice, sqlId, doc.id, { name: 'x', content: 'y' }))).toEqual({
        status: 400,
        code: 'CONTENT_READ_ONLY',
      });
      expect((await documents.findOne(alice.tenantId, sqlId, doc.id))!.name).toBe('orders');
    });

    it('is a 404 for another tenant and leaves the row alone', async () => {
      const doc = documents.add({ connectorId: sqlId, name: 'orders' });
      expect(await failure(service.update(bob, sqlId, doc.id, { name: 'x' }))).toEqual({
        status: 404,
        code: 'CONNECTOR_NOT_FOUND',
      });
      expect((await documents.findOne(alice.tenantId, sqlId, doc.id))!.name).toBe('orders');
    });
  });

  describe('remove', () => {
    it('deletes the document, and a second delete is a 404', async () => {
      const doc = documents.add({ connectorId: sqlId });
      await service.remove(alice, sqlId, doc.id);
      expect(documents.rows.has(doc.id)).toBe(false);
      expect(await failure(service.remove(alice, sqlId, doc.id))).toEqual({ status: 404, code: 'DOCUMENT_NOT_FOUND' });
    });

    it('keeps a document another tenant tried to delete', async () => {
      const doc = documents.add({ connectorId: sqlId });
      await expect(service.remove(bob, sqlId, doc.id)).rejects.toBeInstanceOf(DomainError);
      expect(documents.rows.has(doc.id)).toBe(true);
    });
  });

  describe('sync and stop', () => {
    it('queues a one-document sync once; a second request returns the queued document', async () => {
      const doc = documents.add({ connectorId: sqlId, status: 'failed' });
      const first = await service.sync(alice, sqlId, doc.id);
      expect(first).toMatchObject({ queued: true, document: { status: 'queued', error: null } });
      expect(queue.jobs.map((j) => [j.name, j.data])).toEqual([
        [JobName.SyncDocument, { tenantId: alice.tenantId, connectorId: sqlId, documentId: doc.id }],
      ]);
      const second = await service.sync(alice, sqlId, doc.id);
      expect(second).toMatchObject({ queued: false, document: { id: doc.id, status: 'queued' } });
      expect(queue.jobs).toHaveLength(1);
    });

    it('refuses a record (400 DOCUMENT_NOT_SYNCABLE) and an inactive connector (409 CONNECTOR_NOT_ACTIVE)', async () => {
      const record = documents.add({ connectorId: sqlId, kind: 'record' });
      expect(await failure(service.sync(alice, sqlId, record.id))).toEqual({
        status: 400,
        code: 'DOCUMENT_NOT_SYNCABLE',
      });
      const off = connectors.add({ type: 'postgresql', status: 'inactive' });
      const table = documents.add({ connectorId: off.id });
      expect(await failure(service.sync(alice, off.id, table.id))).toEqual({
        status: 409,
        code: 'CONNECTOR_NOT_ACTIVE',
      });
      expect(queue.jobs).toHaveLength(0);
      expect((await documents.findOne(alice.tenantId, off.id, table.id))!.status).toBe('synced');
    });

    it('stops a queued sync (the document ends stopped); with nothing in flight it is 409 NOTHING_RUNNING', async () => {
      const doc = documents.add({ connectorId: sqlId });
      expect(await failure(service.stop(alice, sqlId, doc.id))).toEqual({ status: 409, code: 'NOTHING_RUNNING' });
      await service.sync(alice, sqlId, doc.id);
      expect(await service.stop(alice, sqlId, doc.id)).toMatchObject({ id: doc.id, status: 'stopped' });
    });
  });

  describe('train', () => {
    it('marks tables and views with DDL trained and gives each requested id its own result', async () => {
      const table = documents.add({ connectorId: sqlId, kind: 'table' });
      const view = documents.add({ connectorId: sqlId, kind: 'view', metadata: { ddl: 'CREATE VIEW v AS SELECT 1' } });
      const noDdl = documents.add({ connectorId: sqlId, kind: 'table', metadata: {} });
      const gone = documents.add({ connectorId: sqlId, kind: 'table', status: 'deleted' });
      const file = documents.add({ connectorId: sqlId, kind: 'file' });
      const result = await service.train(alice, sqlId, [table.id, view.id, noDdl.id, gone.id, file.id, 'doc_nope']);
      expect(result.trainedCount).toBe(2);
      expect(result.failedCount).toBe(4);
      expect(result.results.map((r) => [r.documentId, r.ok])).toEqual([
        [table.id, true],
        [view.id, true],
        [noDdl.id, false],
        [gone.id, false],
        [file.id, false],
        ['doc_nope', false],
      ]);
      expect(result.results[5].reason).toBe('Document not found in this connector');
      expect((await documents.findOne(alice.tenantId, sqlId, table.id))!.metadata).toMatchObject({ trained: true });
      expect((await documents.findOne(alice.tenantId, sqlId, noDdl.id))!.metadata.trained).toBeUndefined();
    });

    it('is 400 TRAIN_NOT_SUPPORTED for a connector that is not SQL', async () => {
      expect(await failure(service.train(alice, filesId, []))).toEqual({ status: 400, code: 'TRAIN_NOT_SUPPORTED' });
    });
  });

  describe('content', () => {
    it('answers the DDL of a table as SQL, and the text of a record as plain text', async () => {
      const table = documents.add({ connectorId: sqlId, metadata: { ddl: 'CREATE TABLE t (\n  id int\n)' } });
      expect(await service.content(alice, sqlId, table.id, {})).toMatchObject({
        content: 'CREATE TABLE t (\n  id int\n)',
        contentType: 'application/sql',
        chunkInfo: { totalLines: 3, hasMore: false },
      });
      const record = documents.add({ connectorId: sqlId, kind: 'record', metadata: { content: 'hello' } });
      expect(await service.content(alice, sqlId, record.id, {})).toMatchObject({
        content: 'hello',
        contentType: 'text/plain',
        totalSize: 5,
      });
    });

    it('reads a file document through the file connector at its path, with the window asked for', async () => {
      const file = documents.add({ connectorId: filesId, kind: 'file', path: 'exports/a.csv' });
      await service.content(alice, filesId, file.id, { offset: 10, limit: 5 });
      expect(fileWindows).toEqual([{ connectorId: filesId, query: { offset: 10, limit: 5, path: 'exports/a.csv' } }]);
    });

    it('is 409 DOCUMENT_DELETED when the source no longer has it', async () => {
      const doc = documents.add({ connectorId: sqlId, status: 'deleted' });
      expect(await failure(service.content(alice, sqlId, doc.id, {}))).toEqual({
        status: 409,
        code: 'DOCUMENT_DELETED',
      });
    });
  });
});
