import type { ConnectorRuntime, ConnectorService, DiscoveredItem } from '@sluice/connectors';
import type { SyncDocumentPayload } from '@sluice/core';
import { FakeJob, TENANT_A, TENANT_B } from '../../../../test/fakes/common';
import { FakeConnectorService, FakeRegistry, fakePlugin, FakeRuntime } from '../../../../test/fakes/connectors';
import { FakeDocumentRepository } from '../../../../test/fakes/documents';
import type { DocumentRepository } from '../document.repository';
import { DocumentSyncProcessor } from './document-sync.processor';

const orders = (checksum: string): DiscoveredItem => ({
  externalId: 'public.orders',
  kind: 'table',
  name: 'orders',
  checksum,
  metadata: { ddl: `CREATE TABLE orders (id int) -- ${checksum}` },
});

describe('DocumentSyncProcessor', () => {
  let connectors: FakeConnectorService;
  let documents: FakeDocumentRepository;
  let processor: DocumentSyncProcessor;
  /** What the source has: by lookup for `lookup`, batch by batch for `walk`. */
  let source: Map<string, DiscoveredItem>;
  let batches: DiscoveredItem[][];
  let between: (index: number) => void;
  /** Runs while the source is being read (may throw, like a source that fails). */
  let duringLookup: () => void;

  beforeEach(() => {
    connectors = new FakeConnectorService();
    documents = new FakeDocumentRepository();
    source = new Map();
    batches = [];
    between = () => undefined;
    duringLookup = () => undefined;
    const registry = new FakeRegistry()
      .register(
        'lookup',
        fakePlugin({
          lookup: async (_ctx, externalId) => {
            duringLookup();
            return source.get(externalId) ?? null;
          },
        }),
      )
      .register(
        'walk',
        fakePlugin({
          discover: async function* () {
            for (const [index, batch] of batches.entries()) {
              yield batch;
              between(index);
            }
          },
        }),
      )
      .register('neither', fakePlugin());
    processor = new DocumentSyncProcessor(
      documents as unknown as DocumentRepository,
      connectors as unknown as ConnectorService,
      new FakeRuntime(registry) as unknown as ConnectorRuntime,
    );
  });

  function queuedDocument(type: string, overrides = {}) {
    const connectorId = connectors.add({ type }).id;
    const doc = documents.add({
      tenantId: TENANT_A,
      connectorId,
      externalId: 'public.orders',
      status: 'queued',
      checksum: 'old',
      metadata: { ddl: 'old', trained: true, trainedAt: '2026-01-01T00:00:00.000Z' },
      ...overrides,
    });
    const job = new FakeJob<SyncDocumentPayload>({ tenantId: TENANT_A, connectorId, documentId: doc.id });
    return { doc, job };
  }

  it('writes the item the source has now, keeping the training marks of the document', async () => {
    source.set('public.orders', orders('new'));
    const { doc, job } = queuedDocument('lookup');
    expect(await processor.handle(job.asJob())).toBe('synced');
    expect(documents.rows.get(doc.id)).toMatchObject({
      status: 'synced',
      error: null,
      checksum: 'new',
      metadata: { ddl: 'CREATE TABLE orders (id int) -- new', trained: true },
    });
  });

  it('marks the document deleted when the source no longer has it', async () => {
    const { doc, job } = queuedDocument('lookup');
    expect(await processor.handle(job.asJob())).toBe('deleted');
    expect(documents.rows.get(doc.id)!.status).toBe('deleted');
  });

  it('finds the item by walking discover() when the plugin has no lookup', async () => {
    batches = [[{ ...orders('x'), externalId: 'public.other', name: 'other' }], [orders('walked')]];
    const { doc, job } = queuedDocument('walk');
    expect(await processor.handle(job.asJob())).toBe('synced');
    expect(documents.rows.get(doc.id)!.checksum).toBe('walked');
  });

  it('ends a walk early when the document was stopped between batches, and keeps it stopped', async () => {
    batches = [[{ ...orders('x'), externalId: 'public.other' }], [orders('late')]];
    const { doc, job } = queuedDocument('walk');
    between = () => void (documents.rows.get(doc.id)!.status = 'stopped');
    expect(await processor.handle(job.asJob())).toBe('stopped');
    expect(documents.rows.get(doc.id)).toMatchObject({ status: 'stopped', checksum: 'old' });
  });

  it('drops a late result once a stop has answered', async () => {
    source.set('public.orders', orders('late'));
    const { doc, job } = queuedDocument('lookup');
    duringLookup = () => void (documents.rows.get(doc.id)!.status = 'stopped');
    expect(await processor.handle(job.asJob())).toBe('stopped');
    expect(documents.rows.get(doc.id)).toMatchObject({ status: 'stopped', checksum: 'old' });
  });

  it('does nothing for a document that is not queued (stopped, or finished by another worker)', async () => {
    source.set('public.orders', orders('new'));
    const { doc, job } = queuedDocument('lookup', { status: 'stopped' });
    expect(await processor.handle(job.asJob())).toBeUndefined();
    expect(documents.rows.get(doc.id)).toMatchObject({ status: 'stopped', checksum: 'old' });
  });

  it('never claims a document of another tenant', async () => {
    const { doc } = queuedDocument('lookup');
    const job = new FakeJob<SyncDocumentPayload>({
      tenantId: TENANT_B,
      connectorId: doc.connectorId,
      documentId: doc.id,
    });
    expect(await processor.handle(job.asJob())).toBeUndefined();
    expect(documents.rows.get(doc.id)!.status).toBe('queued');
  });

  it('fails the document at once, and discards the job, when its type cannot be synced', async () => {
    const { doc, job } = queuedDocument('neither');
    await expect(processor.handle(job.asJob())).rejects.toMatchObject({ code: 'SYNC_NOT_SUPPORTED' });
    expect(job.discarded).toBe(true);
    expect(documents.rows.get(doc.id)).toMatchObject({
      status: 'failed',
      error: 'Documents of this connector type cannot be synced',
    });
  });

  it('puts the document back in the queue after a transient failure, and fails it on the last attempt', async () => {
    duringLookup = () => {
      throw new Error('socket hang up');
    };
    const { doc, job } = queuedDocument('lookup');
    await expect(processor.handle(job.asJob())).rejects.toThrow('socket hang up');
    expect(job.discarded).toBe(false);
    expect(documents.rows.get(doc.id)).toMatchObject({ status: 'queued', error: 'socket hang up' });

    const last = new FakeJob<SyncDocumentPayload>(job.data, 2, 3);
    await expect(processor.handle(last.asJob())).rejects.toThrow('socket hang up');
    expect(documents.rows.get(doc.id)).toMatchObject({ status: 'failed', error: 'socket hang up' });
  });
});
