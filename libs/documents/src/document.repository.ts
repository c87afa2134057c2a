import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DiscoveredItem } from '@sluice/connectors/plugin/connector-plugin';
import { newId } from '@sluice/core/ids/ids';
import { Keyset } from '@sluice/core/pagination/pagination';
import { DataSource, EntityManager, In, QueryDeepPartialEntity, Repository } from 'typeorm';
import { DocumentEntity, DocumentStatus } from './document.entity';

export interface BatchCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface DocumentFilter {
  status?: DocumentStatus;
  q?: string;
}

function fromItem(item: DiscoveredItem): Partial<DocumentEntity> {
  return {
    kind: item.kind,
    name: item.name.slice(0, 512),
    path: item.path ?? null,
    mimeType: item.mimeType ?? null,
    size: item.size === undefined ? null : String(item.size),
    checksum: item.checksum ?? null,
    metadata: item.metadata ?? {},
  };
}

@Injectable()
export class DocumentRepository {
  constructor(
    @InjectRepository(DocumentEntity) private readonly orm: Repository<DocumentEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Upserts one batch by (connector, externalId) inside the caller's transaction: new items are
   * created, changed checksums (or `force`) updated, the rest only stamped as seen by this run.
   */
  async upsertBatch(
    manager: EntityManager,
    ids: { tenantId: string; connectorId: string; runId: string },
    items: DiscoveredItem[],
    force: boolean,
  ): Promise<BatchCounts> {
    const repo = manager.getRepository(DocumentEntity);
    const unique = [...new Map(items.map((i) => [i.externalId, i])).values()];
    const existing = await repo.find({
      where: { connectorId: ids.connectorId, externalId: In(unique.map((i) => i.externalId)) },
      select: { id: true, externalId: true, checksum: true, status: true },
    });
    const byExternal = new Map(existing.map((d) => [d.externalId, d]));
    const now = new Date();
    const fresh: Partial<DocumentEntity>[] = [];
    const unchanged: string[] = [];
    let updated = 0;
    for (const item of unique) {
      const found = byExternal.get(item.externalId);
      if (!found) {
        fresh.push({
          id: newId('document'),
          tenantId: ids.tenantId,
          connectorId: ids.connectorId,
          externalId: item.externalId,
          ...fromItem(item),
          status: 'synced',
          error: null,
          syncedAt: now,
          lastSeenRunId: ids.runId,
        });
      } else if (
        !force &&
        found.status !== 'deleted' &&
        found.status !== 'failed' &&
        found.checksum === (item.checksum ?? null)
      ) {
        unchanged.push(found.id);
      } else {
        await repo.update({ id: found.id }, {
          ...fromItem(item),
          status: 'synced',
          error: null,
          syncedAt: now,
          lastSeenRunId: ids.runId,
        } as QueryDeepPartialEntity<DocumentEntity>);
        updated++;
      }
    }
    // TypeORM's deep-partial type does not accept open jsonb records; the columns are ours.
    if (fresh.length) await repo.insert(fresh as QueryDeepPartialEntity<DocumentEntity>[]);
    if (unchanged.length) await repo.update({ id: In(unchanged) }, { lastSeenRunId: ids.runId });
    return { created: fresh.length, updated, unchanged: unchanged.length };
  }

  /** Marks what the source no longer has as deleted (a later sync that finds it again restores it). */
  async markUnseenDeleted(manager: EntityManager, connectorId: string, runId: string): Promise<number> {
    const rows: unknown[] = await manager.query(
      `UPDATE documents SET status = 'deleted', updated_at = now()
        WHERE connector_id = $1 AND status <> 'deleted' AND kind <> 'record'
          AND last_seen_run_id IS DISTINCT FROM $2
        RETURNING id`,
      [connectorId, runId],
    );
    return Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : rows.length;
  }

  async page(
    tenantId: string,
    connectorId: string,
    filter: DocumentFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[DocumentEntity[], number]> {
    const qb = this.orm
      .createQueryBuilder('d')
      .where('d.tenant_id = :tenantId AND d.connector_id = :connectorId', { tenantId, connectorId });
    if (filter.status) qb.andWhere('d.status = :status', { status: filter.status });
    if (filter.q)
      qb.andWhere('(d.name ILIKE :q OR d.path ILIKE :q)', { q: `%${filter.q.replace(/[\\%_]/g, '\\$&')}%` });
    const total = await qb.clone().getCount();
    if (after) qb.andWhere('(d.created_at, d.id) < (:t, :i)', { t: after.createdAt, i: after.id });
    const rows = await qb
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .take(limit + 1)
      .getMany();
    return [rows, total];
  }

  findOne(tenantId: string, connectorId: string, id: string): Promise<DocumentEntity | null> {
    return this.orm.findOne({ where: { tenantId, connectorId, id } });
  }

  /** Inserts a document; null when the connector already has one with this externalId. */
  async insert(values: Omit<DocumentEntity, 'createdAt' | 'updatedAt'>): Promise<DocumentEntity | null> {
    try {
      return await this.orm.save(this.orm.create(values));
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return null;
      throw e;
    }
  }

  async update(tenantId: string, connectorId: string, id: string, changes: Partial<DocumentEntity>): Promise<void> {
    await this.orm.update({ tenantId, connectorId, id }, changes as QueryDeepPartialEntity<DocumentEntity>);
  }

  async delete(tenantId: string, connectorId: string, id: string): Promise<void> {
    await this.orm.delete({ tenantId, connectorId, id });
  }
}
