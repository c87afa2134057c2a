import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DiscoveredItem } from '@sluice/connectors';
import { newIds, Keyset } from '@sluice/core';
import { DataSource, EntityManager, In, Not, QueryDeepPartialEntity, Repository } from 'typeorm';
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

/** Metadata a user set on a document (training) that a new version from the source must not erase. */
const KEPT_METADATA = ['trained', 'trainedAt'];

export function fieldsFromItem(item: DiscoveredItem, previous: Record<string, unknown> = {}): Partial<DocumentEntity> {
  const kept = Object.fromEntries(KEPT_METADATA.filter((key) => key in previous).map((key) => [key, previous[key]]));
  return {
    kind: item.kind,
    name: item.name.slice(0, 512),
    path: item.path ?? null,
    mimeType: item.mimeType ?? null,
    size: item.size === undefined ? null : String(item.size),
    checksum: item.checksum ?? null,
    metadata: { ...item.metadata, ...kept },
  };
}

/** Document states in which a one-document sync is waiting or under way. */
const IN_FLIGHT: DocumentStatus[] = ['queued', 'syncing'];

/**
 * The written fields of a batch as one array per column, in the order the upsert statements
 * unnest them: kind, name, path, mime type, size, checksum, metadata (as JSON text).
 */
function fieldArrays(rows: Array<{ fields: Partial<DocumentEntity> }>): unknown[][] {
  const column = <K extends keyof DocumentEntity>(key: K) => rows.map((row) => row.fields[key] ?? null);
  return [
    column('kind'),
    column('name'),
    column('path'),
    column('mimeType'),
    column('size'),
    column('checksum'),
    rows.map((row) => JSON.stringify(row.fields.metadata ?? {})),
  ];
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
   *
   * At most four statements whatever the batch size (insert, read, update, stamp), each passing
   * its rows as arrays unnested by PostgreSQL: the ORM's insert of hundreds of rows, one bind
   * parameter per cell, and one UPDATE per changed row made a 100,000-file sync spend minutes here.
   *
   * The insert comes first and skips the keys the connector already has (ON CONFLICT on the
   * unique key, checked in its index whatever the statistics say), so a first sync writes each
   * batch in one statement and reads nothing back; only the keys it skipped are read.
   */
  async upsertBatch(
    manager: EntityManager,
    /** `runId` null: records pushed to the connector, seen by no run (and so never pruned). */
    ids: { tenantId: string; connectorId: string; runId: string | null },
    items: DiscoveredItem[],
    force: boolean,
  ): Promise<BatchCounts> {
    const unique = [...new Map(items.map((i) => [i.externalId, i])).values()];
    if (unique.length === 0) return { created: 0, updated: 0, unchanged: 0 };
    const now = new Date();
    const newDocumentIds = newIds('document', unique.length);
    const candidates = unique.map((item, i) => ({
      id: newDocumentIds[i],
      externalId: item.externalId,
      fields: fieldsFromItem(item),
    }));
    const inserted: Array<{ external_id: string }> = await manager.query(
      `INSERT INTO documents (id, tenant_id, connector_id, external_id, kind, name, path, mime_type, size, checksum,
                              status, error, metadata, synced_at, last_seen_run_id)
       SELECT r.id, $1, $2, r.external_id, r.kind, r.name, r.path, r.mime_type, r.size::bigint, r.checksum,
              'synced', NULL, r.metadata::jsonb, $3, $4
         FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                     $12::text[], $13::text[])
           AS r(id, external_id, kind, name, path, mime_type, size, checksum, metadata)
       ON CONFLICT (connector_id, external_id) DO NOTHING
       RETURNING external_id`,
      [
        ids.tenantId,
        ids.connectorId,
        now,
        ids.runId,
        candidates.map((row) => row.id),
        candidates.map((row) => row.externalId),
        ...fieldArrays(candidates),
      ],
    );
    if (inserted.length === unique.length) return { created: inserted.length, updated: 0, unchanged: 0 };

    const created = new Set(inserted.map((row) => row.external_id));
    const known = unique.filter((item) => !created.has(item.externalId));
    const existing = await this.findByExternalIds(manager, ids, known);
    const byExternal = new Map(existing.map((d) => [d.external_id, d]));
    const changed: Array<{ id: string; fields: Partial<DocumentEntity> }> = [];
    const unchanged: string[] = [];
    for (const item of known) {
      // Skipped by the insert but not found: a document of this key that is not the tenant's.
      const found = byExternal.get(item.externalId);
      if (!found) continue;
      if (!force && found.status === 'synced' && found.checksum === (item.checksum ?? null)) {
        unchanged.push(found.id);
      } else {
        changed.push({ id: found.id, fields: fieldsFromItem(item, found.metadata) });
      }
    }
    if (changed.length) {
      await manager.query(
        `UPDATE documents d
            SET kind = r.kind, name = r.name, path = r.path, mime_type = r.mime_type, size = r.size::bigint,
                checksum = r.checksum, metadata = r.metadata::jsonb, status = 'synced', error = NULL,
                synced_at = $2, last_seen_run_id = $3, updated_at = now()
           FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                       $11::text[])
             AS r(id, kind, name, path, mime_type, size, checksum, metadata)
          WHERE d.tenant_id = $1 AND d.id = r.id`,
        [ids.tenantId, now, ids.runId, changed.map((row) => row.id), ...fieldArrays(changed)],
      );
    }
    if (unchanged.length) {
      await manager.query(
        `UPDATE documents SET last_seen_run_id = $2, updated_at = now() WHERE tenant_id = $1 AND id = ANY($3::text[])`,
        [ids.tenantId, ids.runId, unchanged],
      );
    }
    return { created: inserted.length, updated: changed.length, unchanged: unchanged.length };
  }

  /**
   * The connector's documents of these keys, one probe of the unique (connector, externalId)
   * index per key. Asked as `external_id = ANY(...)` next to the tenant, the planner trusted
   * statistics taken before the connector had documents (or none at all, on a new database) and
   * read every document of the connector once per batch instead; the lateral subquery (kept
   * apart by OFFSET 0, the tenant checked outside it) leaves the unique index as its only way in.
   */
  private findByExternalIds(
    manager: EntityManager,
    ids: { tenantId: string; connectorId: string },
    items: DiscoveredItem[],
  ): Promise<Array<Pick<DocumentEntity, 'id' | 'checksum' | 'status' | 'metadata'> & { external_id: string }>> {
    return manager.query(
      `SELECT d.id, d.external_id, d.checksum, d.status, d.metadata
         FROM unnest($3::text[]) AS k(external_id)
        CROSS JOIN LATERAL (
              SELECT id, external_id, checksum, status, metadata, tenant_id FROM documents
               WHERE connector_id = $2 AND external_id = k.external_id OFFSET 0) d
        WHERE d.tenant_id = $1`,
      [ids.tenantId, ids.connectorId, items.map((i) => i.externalId)],
    );
  }

  /**
   * Marks what the source no longer has as deleted (a later sync that finds it again restores it).
   * Records stay unless `pruneRecords` (types whose records mirror the source, see the plugin
   * info); even then, records added by hand (never seen by a run) stay.
   */
  async markUnseenDeleted(
    manager: EntityManager,
    ids: { tenantId: string; connectorId: string; runId: string },
    pruneRecords = false,
  ): Promise<number> {
    const rows: unknown[] = await manager.query(
      `UPDATE documents SET status = 'deleted', updated_at = now()
        WHERE tenant_id = $1 AND connector_id = $2 AND status <> 'deleted'
          AND (kind <> 'record' OR ($4::boolean AND last_seen_run_id IS NOT NULL))
          AND last_seen_run_id IS DISTINCT FROM $3
        RETURNING id`,
      [ids.tenantId, ids.connectorId, ids.runId, pruneRecords],
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

  /** Queues a one-document sync; null when one is already queued or under way. */
  async markQueued(tenantId: string, connectorId: string, id: string): Promise<DocumentEntity | null> {
    const result = await this.orm.update(
      { tenantId, connectorId, id, status: Not(In(IN_FLIGHT)) },
      { status: 'queued', error: null },
    );
    return (result.affected ?? 0) > 0 ? this.findOne(tenantId, connectorId, id) : null;
  }

  /**
   * Claims a queued document for a worker, or one left `syncing` by a worker that died (Bull
   * hands the stalled job on). Null when it was stopped or finished meanwhile.
   */
  async claim(tenantId: string, id: string): Promise<DocumentEntity | null> {
    const result = await this.orm.update({ tenantId, id, status: In(IN_FLIGHT) }, { status: 'syncing' });
    return (result.affected ?? 0) > 0 ? this.orm.findOne({ where: { tenantId, id } }) : null;
  }

  /**
   * Writes the outcome of a one-document sync, only while the document is still `syncing`: once
   * a stop has answered, the worker's late result is dropped. False when it was dropped.
   */
  async finishSync(tenantId: string, id: string, changes: Partial<DocumentEntity>): Promise<boolean> {
    const result = await this.orm.update(
      { tenantId, id, status: 'syncing' },
      changes as QueryDeepPartialEntity<DocumentEntity>,
    );
    return (result.affected ?? 0) > 0;
  }

  /** Stops a queued or running one-document sync; false when none was in flight. */
  async stopSync(tenantId: string, connectorId: string, id: string): Promise<boolean> {
    const result = await this.orm.update({ tenantId, connectorId, id, status: In(IN_FLIGHT) }, { status: 'stopped' });
    return (result.affected ?? 0) > 0;
  }

  findMany(tenantId: string, connectorId: string, ids: string[]): Promise<DocumentEntity[]> {
    return this.orm.find({ where: { tenantId, connectorId, id: In(ids) } });
  }

  /** External ids (table keys) of the table and view documents marked trained, and still at the source. */
  async trainedExternalIds(tenantId: string, connectorId: string): Promise<Set<string>> {
    const rows: Array<{ external_id: string }> = await this.orm.query(
      `SELECT external_id FROM documents
        WHERE tenant_id = $1 AND connector_id = $2 AND kind IN ('table', 'view') AND status <> 'deleted'
          AND metadata @> '{"trained": true}'`,
      [tenantId, connectorId],
    );
    return new Set(rows.map((r) => r.external_id));
  }

  /** Marks documents trained for NL2SQL, keeping the rest of their metadata. */
  async markTrained(tenantId: string, connectorId: string, ids: string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.orm.query(
      `UPDATE documents
          SET metadata = metadata || jsonb_build_object('trained', true, 'trainedAt', $4::text), updated_at = now()
        WHERE tenant_id = $1 AND connector_id = $2 AND id = ANY($3)`,
      [tenantId, connectorId, ids, at.toISOString()],
    );
  }

  async delete(tenantId: string, connectorId: string, id: string): Promise<void> {
    await this.orm.delete({ tenantId, connectorId, id });
  }
}
