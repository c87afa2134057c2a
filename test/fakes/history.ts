import { HistoryService } from '@sluice/history';
import { newId } from '@sluice/core';
import type { EnvDto, Keyset } from '@sluice/core';
import type { HistoryEntryEntity, HistoryFilter, HistoryRepository } from '@sluice/history/testing';
import { clone, nextDate, TENANT_A } from './common';
import { keysetPage } from './documents';

export function historyRow(overrides: Partial<HistoryEntryEntity> = {}): HistoryEntryEntity {
  return {
    id: newId('history'),
    tenantId: TENANT_A,
    userId: null,
    connectorId: null,
    question: 'How many orders?',
    sql: 'SELECT count(*) FROM orders',
    ok: true,
    rowCount: 1,
    error: null,
    durationMs: 12,
    attempts: 1,
    promptTokens: null,
    completionTokens: null,
    exampleId: null,
    createdAt: nextDate(),
    ...overrides,
  };
}

/** HistoryRepository over a Map, scoped by tenant like the SQL. */
export class FakeHistoryRepository implements Omit<HistoryRepository, 'filtered' | 'pageQuery'> {
  readonly rows = new Map<string, HistoryEntryEntity>();

  add(overrides: Partial<HistoryEntryEntity> = {}): HistoryEntryEntity {
    const row = historyRow(overrides);
    this.rows.set(row.id, row);
    return clone(row);
  }

  async page(
    tenantId: string,
    filter: HistoryFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[HistoryEntryEntity[], number]> {
    const q = filter.q?.toLowerCase();
    const matching = [...this.rows.values()].filter(
      (h) =>
        h.tenantId === tenantId &&
        (!filter.connectorId || h.connectorId === filter.connectorId) &&
        (filter.ok === undefined || h.ok === filter.ok) &&
        (!q || h.question.toLowerCase().includes(q) || (h.sql ?? '').toLowerCase().includes(q)),
    );
    return [keysetPage(matching, limit, after).map(clone), matching.length];
  }

  async findOne(tenantId: string, id: string): Promise<HistoryEntryEntity | null> {
    const found = this.rows.get(id);
    return found?.tenantId === tenantId ? clone(found) : null;
  }

  async insert(values: Omit<HistoryEntryEntity, 'createdAt'>): Promise<HistoryEntryEntity> {
    this.rows.set(values.id, { ...clone(values), createdAt: nextDate() });
    return clone(this.rows.get(values.id)!);
  }

  async linkExample(tenantId: string, id: string, exampleId: string): Promise<boolean> {
    const found = this.rows.get(id);
    if (found?.tenantId !== tenantId || found.exampleId !== null) return false;
    found.exampleId = exampleId;
    return true;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    return this.rows.get(id)?.tenantId === tenantId && this.rows.delete(id);
  }

  /** Keeps each tenant's newest `keep` entries (only `tenantId`'s when given). */
  async pruneBeyond(keep: number, tenantId?: string): Promise<number> {
    const tenants = new Set([...this.rows.values()].map((h) => h.tenantId));
    let deleted = 0;
    for (const tenant of tenants) {
      if (tenantId !== undefined && tenant !== tenantId) continue;
      const mine = keysetPage(
        [...this.rows.values()].filter((h) => h.tenantId === tenant),
        Number.MAX_SAFE_INTEGER,
      );
      for (const old of mine.slice(keep)) deleted += Number(this.rows.delete(old.id));
    }
    return deleted;
  }
}

/** A HistoryService over a fake repository, for specs of the libs that use the service. */
export function historyServiceOn(repo: FakeHistoryRepository, env: Partial<EnvDto> = {}): HistoryService {
  return new HistoryService(repo as unknown as HistoryRepository, env as EnvDto);
}
