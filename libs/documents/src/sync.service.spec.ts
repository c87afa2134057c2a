import type { ConnectorRegistry, ConnectorService } from '@sluice/connectors';
import type { EnvDto, ConcurrencySlots, Slot } from '@sluice/core';
import { JobName, SyncConnectorPayload } from '@sluice/core';
import type { Observable } from 'rxjs';
import { caller, failure, FakeQueue, TENANT_B } from '../../../test/fakes/common';
import { FakeConnectorService, FakeRegistry, fakePlugin } from '../../../test/fakes/connectors';
import { FakeSyncRunRepository } from '../../../test/fakes/documents';
import { MessageEvent, SyncService } from './sync.service';
import type { SyncRunRepository } from './sync-run.repository';

/** Slots counted per owner in memory, like the Redis-backed ones across instances. */
class FakeSlots {
  readonly held = new Map<string, number>();

  async tryAcquire(name: string, owner: string, limit: number): Promise<Slot | null> {
    const key = `${name}:${owner}`;
    const count = this.held.get(key) ?? 0;
    if (count >= limit) return null;
    this.held.set(key, count + 1);
    let released = false;
    return {
      release: () => {
        if (!released) this.held.set(key, this.held.get(key)! - 1);
        released = true;
      },
    };
  }
}

/** Every event of a stream until it completes; `afterFirst` runs once the first event is in. */
function collect(stream: Observable<MessageEvent>, afterFirst: () => void): Promise<MessageEvent[]> {
  const events: MessageEvent[] = [];
  return new Promise((resolve, reject) =>
    stream.subscribe({
      next: (event) => {
        events.push(event);
        if (events.length === 1) afterFirst();
      },
      complete: () => resolve(events),
      error: reject,
    }),
  );
}

describe('SyncService', () => {
  const alice = caller();
  const bob = caller(TENANT_B);
  let connectors: FakeConnectorService;
  let runs: FakeSyncRunRepository;
  let queue: FakeQueue<SyncConnectorPayload>;
  let slots: FakeSlots;
  let service: SyncService;
  let sqlId: string;

  beforeEach(() => {
    connectors = new FakeConnectorService();
    runs = new FakeSyncRunRepository();
    queue = new FakeQueue();
    slots = new FakeSlots();
    const registry = new FakeRegistry()
      .register('postgresql', fakePlugin(), { category: 'sql' })
      .register('folder', fakePlugin(), { category: 'files' })
      .register('amazon_kinesis', fakePlugin(), { category: 'stream', readiness: 'coming_soon' });
    const env = { SYNC_MAX_ACTIVE_PER_TENANT: 2, MAX_EVENT_STREAMS_PER_USER: 1 } as EnvDto;
    service = new SyncService(
      connectors as unknown as ConnectorService,
      runs as unknown as SyncRunRepository,
      registry as unknown as ConnectorRegistry,
      queue.asQueue(),
      slots as unknown as ConcurrencySlots,
      env,
    );
    sqlId = connectors.add({ type: 'postgresql' }).id;
  });

  describe('start', () => {
    it('stores a queued run by the caller and enqueues it under the run id', async () => {
      const { run, created } = await service.start(alice, sqlId, true);
      expect(created).toBe(true);
      expect(run).toMatchObject({ connectorId: sqlId, status: 'queued', force: true, cancelRequested: false });
      expect(runs.stored(run.id)).toMatchObject({ tenantId: alice.tenantId, createdBy: alice.userId });
      expect(queue.jobs).toHaveLength(1);
      expect(queue.jobs[0]).toMatchObject({
        name: JobName.SyncConnector,
        data: { runId: run.id, tenantId: alice.tenantId, connectorId: sqlId },
        opts: { jobId: run.id },
      });
    });

    it('returns the active run instead of starting a second one for the same connector', async () => {
      const first = await service.start(alice, sqlId, false);
      const again = await service.start(alice, sqlId, true);
      expect(again).toEqual({ run: first.run, created: false });
      expect(queue.jobs).toHaveLength(1);
    });

    it('is 429 TOO_MANY_ACTIVE_SYNCS once the tenant has its maximum of active runs', async () => {
      await service.start(alice, connectors.add().id, false);
      await service.start(alice, connectors.add().id, false);
      expect(await failure(service.start(alice, sqlId, false))).toEqual({ status: 429, code: 'TOO_MANY_ACTIVE_SYNCS' });
      // Another tenant's cap is its own.
      const bobs = connectors.add({ tenantId: TENANT_B });
      expect((await service.start(bob, bobs.id, false)).created).toBe(true);
    });

    it('refuses another tenant connector (404) and an inactive one (409), storing no run', async () => {
      expect(await failure(service.start(bob, sqlId, false))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      const waiting = connectors.add({ status: 'pending_upload' });
      expect(await failure(service.start(alice, waiting.id, false))).toEqual({
        status: 409,
        code: 'CONNECTOR_NOT_ACTIVE',
      });
      expect(runs.rows.size).toBe(0);
      expect(queue.jobs).toHaveLength(0);
    });

    it('refuses a coming-soon type with 409 CONNECTOR_NOT_AVAILABLE, even when active, storing no run', async () => {
      const soon = connectors.add({ type: 'amazon_kinesis', status: 'active' });
      expect(await failure(service.start(alice, soon.id, false))).toEqual({
        status: 409,
        code: 'CONNECTOR_NOT_AVAILABLE',
      });
      expect(runs.rows.size).toBe(0);
      expect(queue.jobs).toHaveLength(0);
    });
  });

  describe('scanFiles', () => {
    it('starts a run for a file connector and is 400 SCAN_NOT_SUPPORTED for a SQL one', async () => {
      const folder = connectors.add({ type: 'folder' });
      expect((await service.scanFiles(alice, folder.id)).created).toBe(true);
      expect(await failure(service.scanFiles(alice, sqlId))).toEqual({ status: 400, code: 'SCAN_NOT_SUPPORTED' });
    });
  });

  describe('stop', () => {
    it('cancels a queued run at once and takes its job off the queue', async () => {
      const { run } = await service.start(alice, sqlId, false);
      const stopped = await service.stop(alice, sqlId);
      expect(stopped).toMatchObject({ id: run.id, status: 'cancelled', cancelRequested: true });
      expect(stopped.finishedAt).not.toBeNull();
      expect(queue.waiting).toHaveLength(0);
    });

    it('asks a running run to stop at its next batch, leaving it running', async () => {
      const run = runs.add({ tenantId: alice.tenantId, connectorId: sqlId, status: 'running' });
      expect(await service.stop(alice, sqlId)).toMatchObject({ id: run.id, status: 'running', cancelRequested: true });
    });

    it('is 409 NOTHING_RUNNING without an active run, and 404 for another tenant', async () => {
      runs.add({ tenantId: alice.tenantId, connectorId: sqlId, status: 'succeeded' });
      expect(await failure(service.stop(alice, sqlId))).toEqual({ status: 409, code: 'NOTHING_RUNNING' });
      const active = runs.add({ tenantId: alice.tenantId, connectorId: sqlId, status: 'running' });
      expect(await failure(service.stop(bob, sqlId))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      expect(runs.stored(active.id).cancelRequested).toBe(false);
    });
  });

  describe('list and get', () => {
    it('pages the runs of the connector newest first', async () => {
      const ids = [1, 2, 3].map(() => runs.add({ tenantId: alice.tenantId, connectorId: sqlId, status: 'failed' }).id);
      runs.add({ tenantId: alice.tenantId, connectorId: 'con_other', status: 'failed' });
      const first = await service.list(alice, sqlId, { limit: 2 });
      expect(first.data.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      expect(first.pagination).toMatchObject({ total: 3, hasMore: true });
      const second = await service.list(alice, sqlId, { limit: 2, cursor: first.pagination.nextCursor! });
      expect(second.data.map((r) => r.id)).toEqual([ids[0]]);
    });

    it('is 404 RUN_NOT_FOUND for another tenant run or a run of another connector', async () => {
      const run = runs.add({ tenantId: alice.tenantId, connectorId: sqlId });
      expect((await service.get(alice, sqlId, run.id)).id).toBe(run.id);
      expect(await failure(service.get(bob, sqlId, run.id))).toEqual({ status: 404, code: 'RUN_NOT_FOUND' });
      expect(await failure(service.get(alice, 'con_other', run.id))).toEqual({ status: 404, code: 'RUN_NOT_FOUND' });
    });
  });

  describe('events', () => {
    it('streams progress, ends with the final state, and gives the stream slot back', async () => {
      const run = runs.add({ tenantId: alice.tenantId, connectorId: sqlId, status: 'running' });
      const stream = await service.events(alice, sqlId, run.id);
      const events = await collect(stream, () => void runs.update(alice.tenantId, run.id, { status: 'succeeded' }));
      expect(events.map((e) => [e.type, e.data.status])).toEqual([
        ['progress', 'running'],
        ['final', 'succeeded'],
      ]);
      expect([...slots.held.values()].every((n) => n === 0)).toBe(true);
    });

    it('ends the stream when the run disappears (its connector was deleted)', async () => {
      const run = runs.add({ tenantId: alice.tenantId, connectorId: sqlId, status: 'queued' });
      const stream = await service.events(alice, sqlId, run.id);
      const events = await collect(stream, () => runs.rows.delete(run.id));
      expect(events.map((e) => e.type)).toEqual(['progress']);
    });

    it('is 429 TOO_MANY_STREAMS beyond the per-user limit, and 404 for another tenant run', async () => {
      const run = runs.add({ tenantId: alice.tenantId, connectorId: sqlId, status: 'running' });
      const open = (await service.events(alice, sqlId, run.id)).subscribe();
      try {
        expect(await failure(service.events(alice, sqlId, run.id))).toEqual({ status: 429, code: 'TOO_MANY_STREAMS' });
      } finally {
        open.unsubscribe();
      }
      expect(await failure(service.events(bob, sqlId, run.id))).toEqual({ status: 404, code: 'RUN_NOT_FOUND' });
    });
  });

  describe('watch', () => {
    it('streams the same changes without taking a stream slot, and is 404 for another tenant run', async () => {
      const run = runs.add({ tenantId: alice.tenantId, connectorId: sqlId, status: 'running' });
      const held = (await service.events(alice, sqlId, run.id)).subscribe();
      try {
        // The one slot of the limit is taken, yet the operator's watch is not refused.
        const stream = await service.watch(alice, sqlId, run.id);
        const events = await collect(stream, () => void runs.update(alice.tenantId, run.id, { status: 'failed' }));
        expect(events.map((e) => [e.type, e.data.status])).toEqual([
          ['progress', 'running'],
          ['final', 'failed'],
        ]);
      } finally {
        held.unsubscribe();
      }
      expect(await failure(service.watch(bob, sqlId, run.id))).toEqual({ status: 404, code: 'RUN_NOT_FOUND' });
    });
  });
});
