import type { Keyset } from '@sluice/core';
import { newId } from '@sluice/core';
import type { DiscoveredItem } from '@sluice/connectors';
import type { DocumentEntity, InsertActiveOutcome, SyncRunEntity, SyncRunRepository } from '@sluice/documents/testing';
import {
  EMPTY_PROGRESS,
  fieldsFromItem,
  type BatchCounts,
  type DocumentFilter,
  type DocumentRepository,
} from '@sluice/documents/testing';
import type { EntityManager } from 'typeorm';
import { clone, nextDate, TENANT_A } from './common';

/** Newest first by (createdAt, id), after the cursor, with the extra row that says more follow. */
export function keysetPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number, after?: Keyset): T[] {
  const newestFirst = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  const rest = after
    ? newestFirst.filter(
        (r) =>
          r.createdAt.getTime() < after.createdAt.getTime() ||
          (r.createdAt.getTime() === after.createdAt.getTime() && r.id < after.id),
      )
    : newestFirst;
  return rest.slice(0, limit + 1);
}

export function documentRow(overrides: Partial<DocumentEntity> = {}): DocumentEntity {
  const at = nextDate();
  return {
    id: newId('document'),
    tenantId: TENANT_A,
    connectorId: 'con_missing',
    externalId: `public.t_${at.getTime()}`,
    kind: 'table',
    name: 'orders',
    path: null,
    mimeType: null,
    size: null,
    checksum: 'c1',
    status: 'synced',
    error: null,
    metadata: { ddl: 'CREATE TABLE orders (id int)' },
    syncedAt: at,
    lastSeenRunId: null,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

const IN_FLIGHT = ['queued', 'syncing'];
const copy = <T>(row: T | undefined): T | null => (row ? clone(row) : null);

/** DocumentRepository over a Map, with the same tenant and connector scoping as the SQL. */
export class FakeDocumentRepository implements Omit<DocumentRepository, 'trainedExternalIds'> {
  readonly rows = new Map<string, DocumentEntity>();
  /** How many transactions were opened (each sync batch is one). */
  transactions = 0;

  add(overrides: Partial<DocumentEntity> = {}): DocumentEntity {
    const row = documentRow(overrides);
    this.rows.set(row.id, row);
    return clone(row);
  }

  ofConnector(connectorId: string): DocumentEntity[] {
    return [...this.rows.values()].filter((d) => d.connectorId === connectorId);
  }

  private scoped(tenantId: string, connectorId: string | undefined, id: string): DocumentEntity | undefined {
    const row = this.rows.get(id);
    return row && row.tenantId === tenantId && (connectorId === undefined || row.connectorId === connectorId)
      ? row
      : undefined;
  }

  /** Like the database, a transaction that throws leaves no write of upsertBatch behind. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    this.transactions++;
    const undo: Array<() => void> = [];
    try {
      return await work({ undo } as unknown as EntityManager);
    } catch (error) {
      for (const step of undo.reverse()) step();
      throw error;
    }
  }

  async upsertBatch(
    manager: EntityManager,
    ids: { tenantId: string; connectorId: string; runId: string },
    items: DiscoveredItem[],
    force: boolean,
  ): Promise<BatchCounts> {
    const counts = { created: 0, updated: 0, unchanged: 0 };
    const undo = (manager as unknown as { undo?: Array<() => void> }).undo ?? [];
    const unique = [...new Map(items.map((i) => [i.externalId, i])).values()];
    for (const item of unique) {
      const found = this.ofConnector(ids.connectorId).find((d) => d.externalId === item.externalId);
      if (found) {
        const before = clone(found);
        undo.push(() => this.rows.set(before.id, before));
      }
      if (!found) {
        const added = this.add({
          tenantId: ids.tenantId,
          connectorId: ids.connectorId,
          externalId: item.externalId,
          ...fieldsFromItem(item),
          status: 'synced',
          lastSeenRunId: ids.runId,
        });
        undo.push(() => this.rows.delete(added.id));
        counts.created++;
      } else if (!force && found.status === 'synced' && found.checksum === (item.checksum ?? null)) {
        found.lastSeenRunId = ids.runId;
        counts.unchanged++;
      } else {
        Object.assign(found, fieldsFromItem(item, found.metadata), {
          status: 'synced',
          error: null,
          syncedAt: new Date(),
          lastSeenRunId: ids.runId,
        });
        counts.updated++;
      }
    }
    return counts;
  }

  async markUnseenDeleted(
    _manager: EntityManager,
    { tenantId, connectorId, runId }: { tenantId: string; connectorId: string; runId: string },
    pruneRecords = false,
  ): Promise<number> {
    const gone = this.ofConnector(connectorId).filter(
      (d) =>
        d.tenantId === tenantId &&
        d.status !== 'deleted' &&
        (d.kind !== 'record' || (pruneRecords && d.lastSeenRunId !== null)) &&
        d.lastSeenRunId !== runId,
    );
    for (const d of gone) d.status = 'deleted';
    return gone.length;
  }

  async page(
    tenantId: string,
    connectorId: string,
    filter: DocumentFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[DocumentEntity[], number]> {
    const q = filter.q?.toLowerCase();
    const matching = [...this.rows.values()].filter(
      (d) =>
        d.tenantId === tenantId &&
        d.connectorId === connectorId &&
        (!filter.status || d.status === filter.status) &&
        (!q || d.name.toLowerCase().includes(q) || (d.path ?? '').toLowerCase().includes(q)),
    );
    return [keysetPage(matching, limit, after).map((d) => clone(d)), matching.length];
  }

  async findOne(tenantId: string, connectorId: string, id: string): Promise<DocumentEntity | null> {
    return copy(this.scoped(tenantId, connectorId, id));
  }

  async insert(values: Omit<DocumentEntity, 'createdAt' | 'updatedAt'>): Promise<DocumentEntity | null> {
    const taken = this.ofConnector(values.connectorId).some((d) => d.externalId === values.externalId);
    if (taken) return null;
    return this.add(values);
  }

  async update(tenantId: string, connectorId: string, id: string, changes: Partial<DocumentEntity>): Promise<void> {
    const row = this.scoped(tenantId, connectorId, id);
    if (row) Object.assign(row, changes, { updatedAt: nextDate() });
  }

  async markQueued(tenantId: string, connectorId: string, id: string): Promise<DocumentEntity | null> {
    const row = this.scoped(tenantId, connectorId, id);
    if (!row || IN_FLIGHT.includes(row.status)) return null;
    Object.assign(row, { status: 'queued', error: null });
    return copy(row);
  }

  async claim(tenantId: string, id: string): Promise<DocumentEntity | null> {
    const row = this.scoped(tenantId, undefined, id);
    if (!row || !IN_FLIGHT.includes(row.status)) return null;
    row.status = 'syncing';
    return copy(row);
  }

  async finishSync(tenantId: string, id: string, changes: Partial<DocumentEntity>): Promise<boolean> {
    const row = this.scoped(tenantId, undefined, id);
    if (!row || row.status !== 'syncing') return false;
    Object.assign(row, changes);
    return true;
  }

  async stopSync(tenantId: string, connectorId: string, id: string): Promise<boolean> {
    const row = this.scoped(tenantId, connectorId, id);
    if (!row || !IN_FLIGHT.includes(row.status)) return false;
    row.status = 'stopped';
    return true;
  }

  async findMany(tenantId: string, connectorId: string, ids: string[]): Promise<DocumentEntity[]> {
    return ids.map((id) => this.scoped(tenantId, connectorId, id)).flatMap((d) => (d ? [clone(d)] : []));
  }

  async markTrained(tenantId: string, connectorId: string, ids: string[], at: Date): Promise<void> {
    for (const id of ids) {
      const row = this.scoped(tenantId, connectorId, id);
      if (row) row.metadata = { ...row.metadata, trained: true, trainedAt: at.toISOString() };
    }
  }

  async delete(tenantId: string, connectorId: string, id: string): Promise<void> {
    if (this.scoped(tenantId, connectorId, id)) this.rows.delete(id);
  }
}

export function runRow(overrides: Partial<SyncRunEntity> = {}): SyncRunEntity {
  const at = nextDate();
  return {
    id: newId('run'),
    tenantId: TENANT_A,
    connectorId: 'con_missing',
    status: 'queued',
    force: false,
    progress: { ...EMPTY_PROGRESS },
    error: null,
    cancelRequested: false,
    startedAt: null,
    finishedAt: null,
    createdBy: null,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

const ACTIVE = ['queued', 'running'];

/** SyncRunRepository over a Map: one active run per connector, at most `maxActive` per tenant. */
export class FakeSyncRunRepository implements Pick<SyncRunRepository, keyof SyncRunRepository> {
  readonly rows = new Map<string, SyncRunEntity>();

  add(overrides: Partial<SyncRunEntity> = {}): SyncRunEntity {
    const row = runRow(overrides);
    this.rows.set(row.id, row);
    return clone(row);
  }

  stored(id: string): SyncRunEntity {
    return clone(this.rows.get(id)!);
  }

  private scoped(tenantId: string, id: string): SyncRunEntity | undefined {
    const row = this.rows.get(id);
    return row?.tenantId === tenantId ? row : undefined;
  }

  async insertActive(
    values: Omit<SyncRunEntity, 'createdAt' | 'updatedAt'>,
    maxActive: number,
  ): Promise<InsertActiveOutcome> {
    const active = [...this.rows.values()].filter((r) => r.tenantId === values.tenantId && ACTIVE.includes(r.status));
    if (active.some((r) => r.connectorId === values.connectorId)) return 'connector_active';
    if (active.length >= maxActive) return 'tenant_full';
    return this.add(values);
  }

  async findActive(tenantId: string, connectorId: string): Promise<SyncRunEntity | null> {
    return copy(
      [...this.rows.values()].find(
        (r) => r.tenantId === tenantId && r.connectorId === connectorId && ACTIVE.includes(r.status),
      ),
    );
  }

  async findOne(tenantId: string, connectorId: string, id: string): Promise<SyncRunEntity | null> {
    const row = this.scoped(tenantId, id);
    return copy(row?.connectorId === connectorId ? row : undefined);
  }

  async page(tenantId: string, connectorId: string, limit: number, after?: Keyset): Promise<[SyncRunEntity[], number]> {
    const matching = [...this.rows.values()].filter((r) => r.tenantId === tenantId && r.connectorId === connectorId);
    return [keysetPage(matching, limit, after).map((r) => clone(r)), matching.length];
  }

  async update(tenantId: string, id: string, changes: Partial<SyncRunEntity>): Promise<void> {
    const row = this.scoped(tenantId, id);
    if (row) Object.assign(row, clone(changes));
  }

  async cancelIfQueued(tenantId: string, id: string): Promise<boolean> {
    const row = this.scoped(tenantId, id);
    if (row?.status !== 'queued') return false;
    Object.assign(row, { status: 'cancelled', cancelRequested: true, finishedAt: new Date() });
    return true;
  }

  async claim(tenantId: string, id: string): Promise<boolean> {
    const row = this.scoped(tenantId, id);
    if (!row || !ACTIVE.includes(row.status) || row.cancelRequested) return false;
    Object.assign(row, { status: 'running', startedAt: new Date() });
    return true;
  }

  async finishIfStopped(tenantId: string, id: string): Promise<boolean> {
    const row = this.scoped(tenantId, id);
    if (!row || !ACTIVE.includes(row.status) || !row.cancelRequested) return false;
    Object.assign(row, { status: 'cancelled', finishedAt: new Date() });
    return true;
  }

  async lockAndCheckCancel(_manager: EntityManager, tenantId: string, id: string): Promise<boolean> {
    return this.scoped(tenantId, id)?.cancelRequested ?? true;
  }
}
