import type { EnvDto } from '@sluice/core';
import { caller, failure, TENANT_A, TENANT_B } from '../../../test/fakes/common';
import { FakeHistoryRepository } from '../../../test/fakes/history';
import type { HistoryRepository } from './history.repository';
import { HistoryService } from './history.service';

describe('HistoryService', () => {
  const alice = caller();
  const bob = caller(TENANT_B);
  let repo: FakeHistoryRepository;
  let service: HistoryService;

  beforeEach(() => {
    repo = new FakeHistoryRepository();
    service = new HistoryService(repo as unknown as HistoryRepository, { HISTORY_MAX_PER_TENANT: 2 } as EnvDto);
  });

  describe('record', () => {
    it('stores what NL2SQL reports, with defaults for what it leaves out and whole milliseconds', async () => {
      const entry = await service.record({
        tenantId: TENANT_A,
        userId: 'usr_1',
        connectorId: 'con_1',
        question: 'How many orders?',
        sql: 'SELECT count(*) FROM orders',
        ok: true,
        durationMs: 12.6,
      });
      expect(entry).toMatchObject({
        userId: 'usr_1',
        connectorId: 'con_1',
        ok: true,
        rowCount: null,
        error: null,
        durationMs: 13,
        attempts: 1,
        usage: null,
        exampleId: null,
      });
      expect(repo.rows.get(entry.id)!.tenantId).toBe(TENANT_A);
    });

    it('keeps a failure with its error, attempts and token usage, and never a negative duration', async () => {
      const entry = await service.record({
        tenantId: TENANT_A,
        userId: null,
        connectorId: null,
        question: 'Drop it all',
        sql: null,
        ok: false,
        error: 'Refused by the guard',
        durationMs: -3,
        attempts: 3,
        usage: { promptTokens: 120, completionTokens: 30 },
      });
      expect(entry).toMatchObject({
        ok: false,
        sql: null,
        error: 'Refused by the guard',
        durationMs: 0,
        attempts: 3,
        usage: { promptTokens: 120, completionTokens: 30 },
      });
    });
  });

  describe('list and get', () => {
    it('filters by q, connector and outcome, pages newest first, and only within the tenant', async () => {
      const a = repo.add({ question: 'Top albums', connectorId: 'con_1' });
      const b = repo.add({ question: 'Top artists', ok: false, connectorId: 'con_2' });
      const c = repo.add({ question: 'Invoices', sql: 'SELECT * FROM album' });
      repo.add({ tenantId: TENANT_B, question: 'Top albums' });

      const first = await service.list(alice, { limit: 2 });
      expect(first.data.map((h) => h.id)).toEqual([c.id, b.id]);
      expect(first.pagination).toMatchObject({ total: 3, hasMore: true });
      const rest = await service.list(alice, { limit: 2, cursor: first.pagination.nextCursor! });
      expect(rest.data.map((h) => h.id)).toEqual([a.id]);

      expect((await service.list(alice, { q: 'ALBUM' })).data.map((h) => h.id)).toEqual([c.id, a.id]);
      expect((await service.list(alice, { ok: false })).data.map((h) => h.id)).toEqual([b.id]);
      expect((await service.list(alice, { connectorId: 'con_1' })).data.map((h) => h.id)).toEqual([a.id]);
      expect((await service.list(bob, {})).pagination.total).toBe(1);
    });

    it('is 404 HISTORY_NOT_FOUND for another tenant entry', async () => {
      const entry = repo.add();
      expect((await service.get(alice, entry.id)).id).toBe(entry.id);
      expect(await failure(service.get(bob, entry.id))).toEqual({ status: 404, code: 'HISTORY_NOT_FOUND' });
    });
  });

  describe('markPromoted', () => {
    it('links the entry to its example once; a second promotion is told it lost', async () => {
      const entry = repo.add();
      expect(await service.markPromoted(alice, entry.id, 'ex_1')).toBe(true);
      expect(await service.markPromoted(alice, entry.id, 'ex_2')).toBe(false);
      expect((await service.get(alice, entry.id)).exampleId).toBe('ex_1');
    });

    it('never links another tenant entry', async () => {
      const entry = repo.add();
      expect(await service.markPromoted(bob, entry.id, 'ex_1')).toBe(false);
      expect(repo.rows.get(entry.id)!.exampleId).toBeNull();
    });
  });

  describe('remove', () => {
    it('deletes the entry; again, or from another tenant, is 404', async () => {
      const entry = repo.add();
      expect(await failure(service.remove(bob, entry.id))).toEqual({ status: 404, code: 'HISTORY_NOT_FOUND' });
      await service.remove(alice, entry.id);
      expect(await failure(service.remove(alice, entry.id))).toEqual({ status: 404, code: 'HISTORY_NOT_FOUND' });
    });
  });

  describe('prune', () => {
    it('keeps the newest HISTORY_MAX_PER_TENANT entries of each tenant, or of the one named', async () => {
      const a = [1, 2, 3, 4].map(() => repo.add({ tenantId: TENANT_A }).id);
      const b = [1, 2, 3].map(() => repo.add({ tenantId: TENANT_B }).id);
      expect(await service.prune(TENANT_B)).toBe(1);
      expect(repo.rows.size).toBe(6);
      expect(await service.prune()).toBe(2);
      expect([...repo.rows.keys()].sort()).toEqual([a[2], a[3], b[1], b[2]].sort());
    });
  });
});
