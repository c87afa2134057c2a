import { newId } from '@sluice/core';
import {
  insertConnector,
  openScratchDatabase,
  ScratchDatabase,
  spreadCreatedAt,
} from '../../../test/helpers/scratch-database';
import { EMPTY_PROGRESS, SyncRunEntity } from './sync-run.entity';
import { SyncRunRepository } from './sync-run.repository';

const A = 'ten_alpha';
const B = 'ten_bravo';

function values(tenantId: string, connectorId: string): Omit<SyncRunEntity, 'createdAt' | 'updatedAt'> {
  return {
    id: newId('run'),
    tenantId,
    connectorId,
    status: 'queued',
    force: false,
    progress: { ...EMPTY_PROGRESS },
    error: null,
    cancelRequested: false,
    startedAt: null,
    finishedAt: null,
    createdBy: null,
  };
}

describe('SyncRunRepository (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let repo: SyncRunRepository;
  const connectors: Record<string, string[]> = {};

  beforeAll(async () => {
    scratch = await openScratchDatabase([SyncRunEntity]);
    repo = new SyncRunRepository(scratch.db.getRepository(SyncRunEntity));
    for (const tenant of [A, B]) {
      connectors[tenant] = [];
      for (let i = 0; i < 4; i++) connectors[tenant].push(await insertConnector(scratch.db, tenant));
    }
  }, 60_000);

  afterAll(() => scratch?.close());

  beforeEach(() => scratch.db.query('DELETE FROM sync_runs'));

  /** Inserts a queued run and says what happened: the run, or why none was inserted. */
  const start = (tenantId: string, connectorId: string, maxActive = 10) =>
    repo.insertActive(values(tenantId, connectorId), maxActive);

  describe('insertActive', () => {
    it('allows one active run per connector, and a new one once it has finished', async () => {
      const [con] = connectors[A];
      const first = await start(A, con);
      expect(first).toMatchObject({ status: 'queued', connectorId: con });
      expect(await start(A, con)).toBe('connector_active');
      await repo.update(A, (first as SyncRunEntity).id, { status: 'succeeded' });
      expect(await start(A, con)).toMatchObject({ status: 'queued' });
    });

    it('caps the active runs of a tenant, counting that tenant only', async () => {
      const [c1, c2, c3] = connectors[A];
      await start(A, c1, 2);
      await start(A, c2, 2);
      expect(await start(A, c3, 2)).toBe('tenant_full');
      expect(await start(B, connectors[B][0], 2)).toMatchObject({ tenantId: B });
    });

    it('never lets concurrent starts of one tenant go beyond the cap', async () => {
      const outcomes = await Promise.all(connectors[A].map((c) => start(A, c, 2)));
      expect(outcomes.filter((o) => typeof o !== 'string')).toHaveLength(2);
      expect(outcomes.filter((o) => o === 'tenant_full')).toHaveLength(2);
    });

    it('answers connector_active to concurrent starts of one connector, with exactly one run stored', async () => {
      const [con] = connectors[A];
      const outcomes = await Promise.all([1, 2, 3].map(() => start(A, con)));
      expect(outcomes.filter((o) => o === 'connector_active')).toHaveLength(2);
      expect(await scratch.db.query('SELECT id FROM sync_runs')).toHaveLength(1);
    });
  });

  describe('reads', () => {
    it('finds the active run and a run by id only within the tenant and connector', async () => {
      const [con, other] = connectors[A];
      const run = (await start(A, con)) as SyncRunEntity;
      expect((await repo.findActive(A, con))?.id).toBe(run.id);
      expect(await repo.findActive(B, con)).toBeNull();
      expect(await repo.findActive(A, other)).toBeNull();
      expect((await repo.findOne(A, con, run.id))?.id).toBe(run.id);
      expect(await repo.findOne(B, con, run.id)).toBeNull();
      expect(await repo.findOne(A, other, run.id)).toBeNull();
    });

    it('pages the runs of one connector newest first and resumes after the cursor', async () => {
      const [con, other] = connectors[A];
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const run = (await start(A, con)) as SyncRunEntity;
        await repo.update(A, run.id, { status: 'failed' });
        ids.push(run.id);
      }
      await start(A, other);
      await start(B, connectors[B][0]);
      await spreadCreatedAt(scratch.db, 'sync_runs', ids);
      const [first, total] = await repo.page(A, con, 2);
      expect(total).toBe(3);
      expect(first.map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
      const [rest] = await repo.page(A, con, 2, { createdAt: first[1].createdAt, id: first[1].id });
      expect(rest.map((r) => r.id)).toEqual([ids[0]]);
      expect((await repo.page(B, con, 10))[1]).toBe(0);
    });
  });

  describe('state changes', () => {
    it('cancels a queued run at once; a worker cannot claim it afterwards', async () => {
      const run = (await start(A, connectors[A][0])) as SyncRunEntity;
      expect(await repo.cancelIfQueued(B, run.id)).toBe(false);
      expect(await repo.cancelIfQueued(A, run.id)).toBe(true);
      expect(await repo.findOne(A, run.connectorId, run.id)).toMatchObject({
        status: 'cancelled',
        cancelRequested: true,
      });
      expect(await repo.claim(A, run.id)).toBe(false);
      expect(await repo.cancelIfQueued(A, run.id)).toBe(false);
    });

    it('claims a queued or stalled running run, not one of another tenant or one asked to stop', async () => {
      const run = (await start(A, connectors[A][0])) as SyncRunEntity;
      expect(await repo.claim(B, run.id)).toBe(false);
      expect(await repo.claim(A, run.id)).toBe(true);
      const running = await repo.findOne(A, run.connectorId, run.id);
      expect(running).toMatchObject({ status: 'running' });
      expect(running!.startedAt).toBeInstanceOf(Date);
      // A running run is not cancelled by cancelIfQueued: its worker must see the flag instead.
      expect(await repo.cancelIfQueued(A, run.id)).toBe(false);
      expect(await repo.claim(A, run.id)).toBe(true);
      await repo.update(A, run.id, { cancelRequested: true });
      expect(await repo.claim(A, run.id)).toBe(false);
    });

    it('ends a run whose stop no worker saw, and leaves finished or unflagged runs alone', async () => {
      const [c1, c2] = connectors[A];
      const flagged = (await start(A, c1)) as SyncRunEntity;
      const plain = (await start(A, c2)) as SyncRunEntity;
      await repo.update(A, flagged.id, { status: 'running', cancelRequested: true });
      await repo.finishIfStopped(B, flagged.id);
      expect((await repo.findOne(A, c1, flagged.id))!.status).toBe('running');
      await repo.finishIfStopped(A, flagged.id);
      await repo.finishIfStopped(A, plain.id);
      expect((await repo.findOne(A, c1, flagged.id))!.status).toBe('cancelled');
      expect((await repo.findOne(A, c2, plain.id))!.status).toBe('queued');
    });

    it('lockAndCheckCancel reads the stop flag of the tenant run, and says stop for a run that is gone', async () => {
      const run = (await start(A, connectors[A][0])) as SyncRunEntity;
      const check = (tenantId: string, id: string) =>
        scratch.db.transaction((m) => repo.lockAndCheckCancel(m, tenantId, id));
      expect(await check(A, run.id)).toBe(false);
      await repo.update(A, run.id, { cancelRequested: true });
      expect(await check(A, run.id)).toBe(true);
      expect(await check(B, run.id)).toBe(true);
      expect(await check(A, 'run_gone')).toBe(true);
    });

    it('writes progress inside the caller transaction, and nothing when it rolls back', async () => {
      const run = (await start(A, connectors[A][0])) as SyncRunEntity;
      await expect(
        scratch.db.transaction(async (m) => {
          await repo.update(A, run.id, { progress: { ...EMPTY_PROGRESS, processed: 5 } }, m);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect((await repo.findOne(A, run.connectorId, run.id))!.progress.processed).toBe(0);
      await repo.update(B, run.id, { status: 'failed' });
      expect((await repo.findOne(A, run.connectorId, run.id))!.status).toBe('queued');
    });
  });
});
