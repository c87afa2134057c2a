import type { DiscoveredItem } from '@sluice/connectors';
import { newId } from '@sluice/core';
import {
  insertConnector,
  openScratchDatabase,
  ScratchDatabase,
  spreadCreatedAt,
} from '../../../test/helpers/scratch-database';
import { DocumentEntity } from './document.entity';
import { DocumentRepository } from './document.repository';

const A = 'ten_alpha';
const B = 'ten_bravo';

const item = (name: string, checksum = `c-${name}`, extra: Partial<DiscoveredItem> = {}): DiscoveredItem => ({
  externalId: `public.${name}`,
  kind: 'table',
  name,
  checksum,
  metadata: { ddl: `CREATE TABLE ${name} (id int)` },
  ...extra,
});

describe('DocumentRepository (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let repo: DocumentRepository;
  let conA: string;
  let conA2: string;
  let conB: string;

  beforeAll(async () => {
    scratch = await openScratchDatabase([DocumentEntity]);
    repo = new DocumentRepository(scratch.db.getRepository(DocumentEntity), scratch.db);
    conA = await insertConnector(scratch.db, A);
    conA2 = await insertConnector(scratch.db, A);
    conB = await insertConnector(scratch.db, B);
  }, 60_000);

  afterAll(() => scratch?.close());

  beforeEach(() => scratch.db.query('DELETE FROM documents'));

  /** Runs one sync batch for `connectorId` of tenant A as run `runId`. */
  const batch = (runId: string, items: DiscoveredItem[], force = false, connectorId = conA) =>
    repo.transaction((m) => repo.upsertBatch(m, { tenantId: A, connectorId, runId }, items, force));

  const record = (connectorId: string, tenantId: string, externalId: string, name = externalId) =>
    repo.insert({
      id: newId('document'),
      tenantId,
      connectorId,
      externalId,
      kind: 'record',
      name,
      path: null,
      mimeType: 'text/plain',
      size: '0',
      checksum: null,
      status: 'synced',
      error: null,
      metadata: {},
      syncedAt: null,
      lastSeenRunId: null,
    });

  const byName = async (connectorId = conA) =>
    new Map((await repo.page(A, connectorId, {}, 100))[0].map((d) => [d.name, d]));

  describe('upsertBatch and markUnseenDeleted', () => {
    it('creates new items, skips unchanged ones, updates changed ones, and dedupes a batch', async () => {
      expect(await batch('run_1', [item('orders'), item('customers'), item('orders')])).toEqual({
        created: 2,
        updated: 0,
        unchanged: 0,
      });
      expect(await batch('run_2', [item('orders'), item('customers', 'new')])).toEqual({
        created: 0,
        updated: 1,
        unchanged: 1,
      });
      const docs = await byName();
      expect(docs.get('customers')).toMatchObject({ checksum: 'new', lastSeenRunId: 'run_2', status: 'synced' });
      // An unchanged document is still stamped as seen by the run.
      expect(docs.get('orders')!.lastSeenRunId).toBe('run_2');
    });

    it('with force rewrites unchanged items, and a new version keeps the training marks', async () => {
      await batch('run_1', [item('orders')]);
      const orders = (await byName()).get('orders')!;
      await repo.markTrained(A, conA, [orders.id], new Date('2026-02-01T00:00:00Z'));
      expect(await batch('run_2', [item('orders')], true)).toMatchObject({ updated: 1, unchanged: 0 });
      expect((await byName()).get('orders')!.metadata).toEqual({
        ddl: 'CREATE TABLE orders (id int)',
        trained: true,
        trainedAt: '2026-02-01T00:00:00.000Z',
      });
    });

    it('marks what a run did not see as deleted, never a record, and brings a deleted one back when seen', async () => {
      await batch('run_1', [item('orders'), item('legacy')]);
      await record(conA, A, 'note');
      await batch('run_2', [item('orders')]);
      const deleted = await repo.transaction((m) =>
        repo.markUnseenDeleted(m, { tenantId: A, connectorId: conA, runId: 'run_2' }),
      );
      expect(deleted).toBe(1);
      let docs = await byName();
      expect(docs.get('legacy')!.status).toBe('deleted');
      expect(docs.get('note')!.status).toBe('synced');
      // Marking again finds nothing new to delete.
      expect(
        await repo.transaction((m) => repo.markUnseenDeleted(m, { tenantId: A, connectorId: conA, runId: 'run_2' })),
      ).toBe(0);
      await batch('run_3', [item('legacy')]);
      docs = await byName();
      expect(docs.get('legacy')!.status).toBe('synced');
    });

    it('prunes records a run did not see when asked to, but never one added by hand', async () => {
      const recordItem = (name: string): DiscoveredItem => ({ ...item(name), kind: 'record' });
      await batch('run_1', [recordItem('r1'), recordItem('r2')]);
      await record(conA, A, 'note');
      await batch('run_2', [recordItem('r1')]);
      expect(
        await repo.transaction((m) => repo.markUnseenDeleted(m, { tenantId: A, connectorId: conA, runId: 'run_2' })),
      ).toBe(0);
      expect(
        await repo.transaction((m) =>
          repo.markUnseenDeleted(m, { tenantId: A, connectorId: conA, runId: 'run_2' }, true),
        ),
      ).toBe(1);
      const docs = await byName();
      expect(docs.get('r2')!.status).toBe('deleted');
      expect(docs.get('r1')!.status).toBe('synced');
      expect(docs.get('note')!.status).toBe('synced');
    });

    it('touches only the connector it is given', async () => {
      await batch('run_1', [item('orders')], false, conA2);
      await batch('run_2', [item('orders')]);
      expect(
        await repo.transaction((m) => repo.markUnseenDeleted(m, { tenantId: A, connectorId: conA, runId: 'run_2' })),
      ).toBe(0);
      expect((await byName(conA2)).get('orders')).toMatchObject({ status: 'synced', lastSeenRunId: 'run_1' });
    });

    it('meets a key another transaction adds meanwhile by updating it, not by failing the batch', async () => {
      // A document added by hand while a sync batch runs: the batch's insert waits for that
      // transaction, skips the key once it commits, and takes the document over as changed.
      const other = scratch.db.createQueryRunner();
      await other.connect();
      try {
        await other.startTransaction();
        await other.query(
          `INSERT INTO documents (id, tenant_id, connector_id, external_id, kind, name, status, metadata)
           VALUES ($1, $2, $3, 'public.orders', 'table', 'orders', 'pending', '{}')`,
          [newId('document'), A, conA],
        );
        const running = batch('run_1', [item('orders'), item('customers')]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await other.commitTransaction();
        expect(await running).toEqual({ created: 1, updated: 1, unchanged: 0 });
      } finally {
        await other.release();
      }
      const docs = await byName();
      expect(docs.size).toBe(2);
      expect(docs.get('orders')).toMatchObject({ status: 'synced', checksum: 'c-orders', lastSeenRunId: 'run_1' });
    });

    it('writes nothing when the transaction fails', async () => {
      await expect(
        repo.transaction(async (m) => {
          await repo.upsertBatch(m, { tenantId: A, connectorId: conA, runId: 'run_1' }, [item('orders')], false);
          throw new Error('stop flag');
        }),
      ).rejects.toThrow('stop flag');
      expect((await repo.page(A, conA, {}, 10))[1]).toBe(0);
    });
  });

  describe('page', () => {
    it('pages newest first within the tenant and connector, and follows the cursor', async () => {
      const made = [];
      for (const name of ['a', 'b', 'c']) made.push((await record(conA, A, name))!.id);
      await spreadCreatedAt(scratch.db, 'documents', made);
      await record(conA2, A, 'other connector');
      await record(conB, B, 'other tenant');
      const [first, total] = await repo.page(A, conA, {}, 2);
      expect(total).toBe(3);
      expect(first.map((d) => d.name)).toEqual(['c', 'b', 'a']);
      const [rest] = await repo.page(A, conA, {}, 2, { createdAt: first[1].createdAt, id: first[1].id });
      expect(rest.map((d) => d.name)).toEqual(['a']);
      expect((await repo.page(B, conA, {}, 10))[1]).toBe(0);
    });

    it('filters by status and by q on name or path, with % and _ taken literally', async () => {
      await batch('run_1', [
        item('orders_2026', 'x', { path: 'exports/Orders.csv' }),
        item('orders2026'),
        item('refunds', 'y', { path: 'exports/ORDERS-refunds.csv' }),
      ]);
      await repo.transaction((m) => repo.markUnseenDeleted(m, { tenantId: A, connectorId: conA, runId: 'run_2' }));
      const names = async (filter: Parameters<DocumentRepository['page']>[2]) =>
        (await repo.page(A, conA, filter, 10))[0].map((d) => d.name).sort();
      expect(await names({ q: 'orders' })).toEqual(['orders2026', 'orders_2026', 'refunds']);
      expect(await names({ q: 's_2' })).toEqual(['orders_2026']);
      expect(await names({ status: 'deleted', q: 'refunds' })).toEqual(['refunds']);
      expect(await names({ status: 'synced' })).toEqual([]);
    });
  });

  describe('one document', () => {
    it('insert returns null for an externalId the connector already has, not for another connector', async () => {
      expect(await record(conA, A, 'note')).not.toBeNull();
      expect(await record(conA, A, 'note')).toBeNull();
      expect(await record(conA2, A, 'note')).not.toBeNull();
    });

    it('findOne, findMany, update and delete see only the tenant and connector given', async () => {
      const doc = (await record(conA, A, 'note'))!;
      expect(await repo.findOne(B, conA, doc.id)).toBeNull();
      expect(await repo.findOne(A, conA2, doc.id)).toBeNull();
      expect(await repo.findMany(B, conA, [doc.id])).toEqual([]);
      expect((await repo.findMany(A, conA, [doc.id, 'doc_none'])).map((d) => d.id)).toEqual([doc.id]);
      await repo.update(B, conA, doc.id, { name: 'hijacked' });
      await repo.delete(B, conA, doc.id);
      await repo.delete(A, conA2, doc.id);
      expect((await repo.findOne(A, conA, doc.id))!.name).toBe('note');
      await repo.update(A, conA, doc.id, { name: 'renamed' });
      expect((await repo.findOne(A, conA, doc.id))!.name).toBe('renamed');
      await repo.delete(A, conA, doc.id);
      expect(await repo.findOne(A, conA, doc.id)).toBeNull();
    });
  });

  describe('one-document sync states', () => {
    it('queues once, claims for a worker, writes the result while syncing, and drops it after a stop', async () => {
      await batch('run_1', [item('orders')]);
      const { id } = (await byName()).get('orders')!;
      expect(await repo.markQueued(B, conA, id)).toBeNull();
      expect(await repo.markQueued(A, conA, id)).toMatchObject({ status: 'queued', error: null });
      expect(await repo.markQueued(A, conA, id)).toBeNull();
      expect(await repo.claim(B, id)).toBeNull();
      expect(await repo.claim(A, id)).toMatchObject({ id, status: 'syncing' });
      // A stalled job handed to another worker claims the syncing document again.
      expect(await repo.claim(A, id)).toMatchObject({ status: 'syncing' });
      expect(await repo.finishSync(B, id, { status: 'synced' })).toBe(false);
      expect(await repo.stopSync(A, conA, id)).toBe(true);
      expect(await repo.finishSync(A, id, { status: 'synced', checksum: 'late' })).toBe(false);
      expect(await repo.findOne(A, conA, id)).toMatchObject({ status: 'stopped', checksum: 'c-orders' });
      expect(await repo.stopSync(A, conA, id)).toBe(false);
      expect(await repo.claim(A, id)).toBeNull();
    });

    it('finishSync writes the outcome of a document still syncing', async () => {
      await batch('run_1', [item('orders')]);
      const { id } = (await byName()).get('orders')!;
      await repo.markQueued(A, conA, id);
      await repo.claim(A, id);
      expect(await repo.finishSync(A, id, { status: 'failed', error: 'boom' })).toBe(true);
      expect(await repo.findOne(A, conA, id)).toMatchObject({ status: 'failed', error: 'boom' });
      // A failed document can be queued again.
      expect(await repo.markQueued(A, conA, id)).toMatchObject({ status: 'queued', error: null });
    });
  });

  describe('training', () => {
    it('marks documents trained keeping their metadata, and lists trained tables still at the source', async () => {
      await batch('run_1', [
        item('orders'),
        item('customers'),
        item('v_sales', 'v', { kind: 'view' }),
        item('legacy'),
        { externalId: 'a.csv', kind: 'file', name: 'a.csv', metadata: {} },
      ]);
      const docs = await byName();
      const ids = ['orders', 'v_sales', 'legacy', 'a.csv'].map((n) => docs.get(n)!.id);
      await repo.markTrained(B, conA, ids, new Date());
      expect(await repo.trainedExternalIds(A, conA)).toEqual(new Set());
      await repo.markTrained(A, conA, ids, new Date('2026-03-01T00:00:00Z'));
      await repo.markTrained(A, conA, [], new Date());
      await batch('run_2', [item('orders'), item('customers'), item('v_sales', 'v', { kind: 'view' })]);
      await repo.transaction((m) => repo.markUnseenDeleted(m, { tenantId: A, connectorId: conA, runId: 'run_2' }));
      expect(await repo.trainedExternalIds(A, conA)).toEqual(new Set(['public.orders', 'public.v_sales']));
      expect(await repo.trainedExternalIds(B, conA)).toEqual(new Set());
      expect((await repo.findOne(A, conA, docs.get('orders')!.id))!.metadata).toEqual({
        ddl: 'CREATE TABLE orders (id int)',
        trained: true,
        trainedAt: '2026-03-01T00:00:00.000Z',
      });
    });
  });
});
