import type { ConnectorRuntime, ConnectorService, DiscoveredItem } from '@sluice/connectors';
import { JobName, RefreshSchemaPayload, SyncConnectorPayload, workerStop, WorkerStoppingError } from '@sluice/core';
import { FakeJob, FakeQueue, TENANT_A } from '../../../../test/fakes/common';
import { FakeConnectorService, FakeRegistry, fakePlugin, FakeRuntime } from '../../../../test/fakes/connectors';
import { FakeDocumentRepository, FakeSyncRunRepository } from '../../../../test/fakes/documents';
import type { DocumentRepository } from '../document.repository';
import type { SyncRunRepository } from '../sync-run.repository';
import { ConnectorSyncProcessor } from './connector-sync.processor';
import { Readable } from 'node:stream';

const table = (name: string, checksum = `c-${name}`): DiscoveredItem => ({
  externalId: `public.${name}`,
  kind: 'table',
  name,
  checksum,
  metadata: { ddl: `CREATE TABLE ${name} (id int)` },
});

describe('ConnectorSyncProcessor', () => {
  let connectors: FakeConnectorService;
  let documents: FakeDocumentRepository;
  let runs: FakeSyncRunRepository;
  let schemaQueue: FakeQueue<RefreshSchemaPayload>;
  let registry: FakeRegistry;
  let processor: ConnectorSyncProcessor;
  /** What the source lists, batch by batch; `between` runs after each batch is handed out. */
  let batches: DiscoveredItem[][];
  let between: (index: number) => void;
  let connectorId: string;

  beforeEach(() => {
    connectors = new FakeConnectorService();
    documents = new FakeDocumentRepository();
    runs = new FakeSyncRunRepository();
    schemaQueue = new FakeQueue();
    batches = [];
    between = () => undefined;
    const discover = async function* () {
      for (const [index, batch] of batches.entries()) {
        yield batch;
        between(index);
      }
    };
    registry = new FakeRegistry()
      .register('postgresql', fakePlugin({ discover, sql: {} as never }))
      .register('folder', fakePlugin({ discover }), { category: 'files' })
      .register('webhook', fakePlugin(), { category: 'api' });
    processor = new ConnectorSyncProcessor(
      runs as unknown as SyncRunRepository,
      documents as unknown as DocumentRepository,
      connectors as unknown as ConnectorService,
      new FakeRuntime(registry) as unknown as ConnectorRuntime,
      schemaQueue.asQueue(),
    );
    connectorId = connectors.add({ type: 'postgresql' }).id;
  });

  function queuedRun(overrides = {}) {
    const run = runs.add({ tenantId: TENANT_A, connectorId, ...overrides });
    return { run, job: new FakeJob<SyncConnectorPayload>({ runId: run.id, tenantId: TENANT_A, connectorId }) };
  }

  it('stores what the source lists, counts it, ends the run succeeded and asks for a schema refresh', async () => {
    batches = [[table('orders'), table('customers')], [table('invoices')]];
    const { run, job } = queuedRun();
    const progress = await processor.handle(job.asJob());
    expect(progress).toMatchObject({ processed: 3, created: 3, updated: 0, unchanged: 0, deleted: 0, total: 3 });
    expect(runs.stored(run.id)).toMatchObject({ status: 'succeeded', progress });
    expect(runs.stored(run.id).finishedAt).toBeInstanceOf(Date);
    expect(
      documents
        .ofConnector(connectorId)
        .map((d) => d.name)
        .sort(),
    ).toEqual(['customers', 'invoices', 'orders']);
    expect(job.reported).toEqual([2, 3]);
    expect(connectors.rows.get(connectorId)!.lastSyncAt).toBeInstanceOf(Date);
    expect(schemaQueue.jobs.map((j) => [j.name, j.data])).toEqual([
      [JobName.RefreshSchema, { tenantId: TENANT_A, connectorId }],
    ]);
  });

  it('stamps the data rows of the CSV files a file source holds, read by streaming each once', async () => {
    const files: Record<string, string> = { 'a.csv': 'id\n1\n2\n', 'sub/b.CSV': 'id,x\n1,2', 'notes.txt': 'x\ny\nz\n' };
    const reads: string[] = [];
    const file = (path: string): DiscoveredItem => ({
      externalId: path,
      kind: 'file',
      name: path.split('/').pop()!,
      path,
    });
    const discover = async function* () {
      yield [file('a.csv'), file('notes.txt')];
      yield [file('sub/b.CSV')];
    };
    const read = async (_ctx: unknown, item: Pick<DiscoveredItem, 'externalId'>) => {
      reads.push(item.externalId);
      return Readable.from([Buffer.from(files[item.externalId])]);
    };
    registry.register('sftp', fakePlugin({ discover, read }), { category: 'files' });
    connectorId = connectors.add({ type: 'sftp', lastSyncRowCount: '99' }).id;
    await processor.handle(queuedRun().job.asJob());
    expect(connectors.rows.get(connectorId)!.lastSyncRowCount).toBe('3');
    expect(reads.sort()).toEqual(['a.csv', 'sub/b.CSV']);
  });

  it('keeps the row count of a type that reads no files', async () => {
    connectors.rows.get(connectorId)!.lastSyncRowCount = '7';
    batches = [[table('orders')]];
    await processor.handle(queuedRun().job.asJob());
    expect(connectors.rows.get(connectorId)!.lastSyncRowCount).toBe('7');
  });

  it('on a later run updates what changed, keeps what did not, and marks what the source lost as deleted', async () => {
    const record = documents.add({ tenantId: TENANT_A, connectorId, kind: 'record', externalId: 'note' });
    batches = [[table('orders'), table('customers'), table('legacy')]];
    await processor.handle(queuedRun().job.asJob());
    runs.rows.clear();
    batches = [[table('orders'), table('customers', 'changed')]];
    const progress = await processor.handle(queuedRun().job.asJob());
    expect(progress).toMatchObject({ processed: 2, created: 0, updated: 1, unchanged: 1, deleted: 1 });
    const byName = new Map(documents.ofConnector(connectorId).map((d) => [d.name, d]));
    expect(byName.get('legacy')!.status).toBe('deleted');
    expect(byName.get('customers')!.checksum).toBe('changed');
    // A document added by hand is never the source's to delete.
    expect(documents.rows.get(record.id)!.status).toBe('synced');
  });

  it('with force rewrites unchanged documents too', async () => {
    batches = [[table('orders')]];
    await processor.handle(queuedRun().job.asJob());
    runs.rows.clear();
    const progress = await processor.handle(queuedRun({ force: true }).job.asJob());
    expect(progress).toMatchObject({ updated: 1, unchanged: 0 });
  });

  it('stops between batches when a stop was asked for, and deletes nothing', async () => {
    documents.add({ tenantId: TENANT_A, connectorId, externalId: 'public.old', name: 'old' });
    const { run, job } = queuedRun();
    batches = [[table('orders')], [table('customers')]];
    between = (index) => {
      if (index === 0) runs.rows.get(run.id)!.cancelRequested = true;
    };
    const progress = await processor.handle(job.asJob());
    expect(progress).toMatchObject({ processed: 1, created: 1 });
    expect(runs.stored(run.id)).toMatchObject({ status: 'cancelled', progress: { processed: 1 } });
    const names = documents.ofConnector(connectorId).map((d) => [d.name, d.status]);
    expect(names.sort()).toEqual([
      ['old', 'synced'],
      ['orders', 'synced'],
    ]);
    expect(schemaQueue.jobs).toHaveLength(0);
  });

  describe('two batches of a snapshot source in flight', () => {
    /** Holds the upsert of the batch whose first item has this name until released. */
    function holdUpsert(name: string): { started: string[]; release: () => void } {
      const upsert = documents.upsertBatch.bind(documents);
      const started: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      documents.upsertBatch = async (manager, ids, items, force) => {
        started.push(items[0].name);
        if (items[0].name === name) await held;
        return upsert(manager, ids, items, force);
      };
      return { started, release };
    }
    const settled = async (condition: () => boolean) => {
      for (let turn = 0; turn < 100 && !condition(); turn++) await new Promise((r) => setImmediate(r));
      return condition();
    };

    it('writes the next batch while the previous one is still stored, and commits them in order', async () => {
      batches = [[table('orders')], [table('customers')], [table('items')]];
      const { started, release } = holdUpsert('orders');
      const { run, job } = queuedRun();
      const handling = processor.handle(job.asJob());
      expect(await settled(() => started.includes('customers'))).toBe(true);
      // The second batch is written, but neither it nor the third commits before the first.
      expect(started).toEqual(['orders', 'customers']);
      expect(runs.stored(run.id).progress.processed).toBe(0);
      release();
      expect(await handling).toMatchObject({ processed: 3, created: 3, total: 3 });
    });

    it('rolls the second batch back when the first one fails', async () => {
      batches = [[table('orders')], [table('customers')]];
      const { started, release } = holdUpsert('orders');
      const upsert = documents.upsertBatch;
      documents.upsertBatch = async (manager, ids, items, force) => {
        const counts = await upsert(manager, ids, items, force);
        if (items[0].name === 'orders') throw new Error('connection reset');
        return counts;
      };
      const { run, job } = queuedRun();
      const handling = processor.handle(job.asJob());
      expect(await settled(() => started.includes('customers'))).toBe(true);
      release();
      await expect(handling).rejects.toThrow('connection reset');
      expect(documents.ofConnector(connectorId)).toEqual([]);
      expect(runs.stored(run.id)).toMatchObject({ status: 'queued', progress: { processed: 0 } });
    });

    it('stores batches that list a key in common one after the other', async () => {
      batches = [[table('orders')], [table('orders', 'new')]];
      const { started, release } = holdUpsert('orders');
      const handling = processor.handle(queuedRun().job.asJob());
      expect(await settled(() => started.length === 2)).toBe(false);
      release();
      expect(await handling).toMatchObject({ processed: 2, created: 1, updated: 1 });
    });
  });

  it('leaves a run stopped while still queued alone, and ends one whose stop found no worker', async () => {
    const cancelled = queuedRun({ status: 'cancelled', cancelRequested: true });
    batches = [[table('orders')]];
    expect(await processor.handle(cancelled.job.asJob())).toBeUndefined();
    expect(runs.stored(cancelled.run.id).status).toBe('cancelled');
    runs.rows.clear();
    const orphan = queuedRun({ status: 'running', cancelRequested: true });
    expect(await processor.handle(orphan.job.asJob())).toBeUndefined();
    expect(runs.stored(orphan.run.id).status).toBe('cancelled');
    expect(documents.rows.size).toBe(0);
  });

  it('fails the run at once, and discards the job, when the connector type cannot be synced', async () => {
    connectorId = connectors.add({ type: 'webhook' }).id;
    const { run, job } = queuedRun();
    await expect(processor.handle(job.asJob())).rejects.toMatchObject({ code: 'SYNC_NOT_SUPPORTED' });
    expect(job.discarded).toBe(true);
    expect(runs.stored(run.id)).toMatchObject({
      status: 'failed',
      error: 'Connectors of type webhook cannot be synced',
    });
  });

  it('fails the run at once when its connector is gone (a permanent 404)', async () => {
    const { run, job } = queuedRun();
    connectors.rows.clear();
    await expect(processor.handle(job.asJob())).rejects.toMatchObject({ code: 'CONNECTOR_NOT_FOUND' });
    expect(job.discarded).toBe(true);
    expect(runs.stored(run.id).status).toBe('failed');
  });

  it('puts the run back in the queue after a transient failure, and fails it on the last attempt', async () => {
    batches = [[table('orders')], [table('customers')]];
    between = () => {
      throw new Error('connection reset');
    };
    const { run, job } = queuedRun();
    await expect(processor.handle(job.asJob())).rejects.toThrow('connection reset');
    expect(job.discarded).toBe(false);
    // The batch committed before the failure stays, and so does its progress.
    expect(runs.stored(run.id)).toMatchObject({
      status: 'queued',
      error: 'connection reset',
      progress: { created: 1 },
    });

    const last = new FakeJob<SyncConnectorPayload>({ runId: run.id, tenantId: TENANT_A, connectorId }, 2, 3);
    await expect(processor.handle(last.asJob())).rejects.toThrow('connection reset');
    expect(runs.stored(run.id)).toMatchObject({ status: 'failed', error: 'connection reset' });
  });

  it('does not queue a schema refresh after syncing a connector without SQL', async () => {
    connectorId = connectors.add({ type: 'folder' }).id;
    batches = [[{ externalId: 'a.csv', kind: 'file', name: 'a.csv', path: 'a.csv', metadata: {} }]];
    expect(await processor.handle(queuedRun().job.asJob())).toMatchObject({ created: 1 });
    expect(schemaQueue.jobs).toHaveLength(0);
  });

  describe('append-mode types (message queues)', () => {
    const message = (id: string): DiscoveredItem => ({ externalId: id, kind: 'file', name: id, checksum: `c-${id}` });
    /** What the source saw: each batch handed out, then either resumed (acknowledged) or ended. */
    let events: string[];

    beforeEach(() => {
      events = [];
      const discover = async function* () {
        try {
          for (const [index, batch] of batches.entries()) {
            yield batch;
            // Resumed: the batch is stored, so this is where a queue plugin acknowledges it.
            events.push(`ack ${index}: ${documents.ofConnector(connectorId).length} stored`);
            between(index);
          }
        } finally {
          events.push('closed');
        }
      };
      registry.register('amqp', fakePlugin({ discover }), { category: 'stream', syncMode: 'append' });
      connectorId = connectors.add({ type: 'amqp' }).id;
    });

    it('keeps the documents of earlier syncs that this walk did not list', async () => {
      batches = [[message('m1'), message('m2')]];
      await processor.handle(queuedRun().job.asJob());
      runs.rows.clear();
      batches = [[message('m3')]];
      const progress = await processor.handle(queuedRun().job.asJob());
      expect(progress).toMatchObject({ processed: 1, created: 1, deleted: 0, total: 1 });
      expect(documents.ofConnector(connectorId).map((d) => [d.externalId, d.status])).toEqual([
        ['m1', 'synced'],
        ['m2', 'synced'],
        ['m3', 'synced'],
      ]);
    });

    it('upserts a message handed out again as unchanged', async () => {
      batches = [[message('m1')]];
      await processor.handle(queuedRun().job.asJob());
      runs.rows.clear();
      batches = [[message('m1'), message('m2')]];
      expect(await processor.handle(queuedRun().job.asJob())).toMatchObject({ created: 1, unchanged: 1 });
      expect(documents.ofConnector(connectorId)).toHaveLength(2);
    });

    it('resumes the walk (the acknowledgement) only after the batch is stored', async () => {
      batches = [[message('m1'), message('m2')], [message('m3')]];
      await processor.handle(queuedRun().job.asJob());
      expect(events).toEqual(['ack 0: 2 stored', 'ack 1: 3 stored', 'closed']);
    });

    it('never resumes after a batch that was not stored: a stop ends the walk unacknowledged', async () => {
      const { run, job } = queuedRun();
      batches = [[message('m1')], [message('m2')]];
      between = (index) => {
        if (index === 0) runs.rows.get(run.id)!.cancelRequested = true;
      };
      await processor.handle(job.asJob());
      expect(events).toEqual(['ack 0: 1 stored', 'closed']);
      expect(documents.ofConnector(connectorId).map((d) => d.externalId)).toEqual(['m1']);
    });

    it('never resumes after a batch whose store failed', async () => {
      batches = [[message('m1')]];
      documents.upsertBatch = async () => {
        throw new Error('database gone');
      };
      await expect(processor.handle(queuedRun().job.asJob())).rejects.toThrow('database gone');
      expect(events).toEqual(['closed']);
    });
  });

  // Last: the stop flag is process-wide and cannot be cleared once set.
  it('hands the run back to the queue after the current batch when the worker is stopping', async () => {
    batches = [[table('orders')], [table('customers')]];
    const { run, job } = queuedRun();
    workerStop.request();
    await expect(processor.handle(job.asJob())).rejects.toBeInstanceOf(WorkerStoppingError);
    expect(job.opts.attempts).toBe(4);
    expect(runs.stored(run.id)).toMatchObject({ status: 'queued', progress: { processed: 1 } });
  });
});
