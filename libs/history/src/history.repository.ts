import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Keyset } from '@sluice/core';
import { IsNull, Repository, SelectQueryBuilder } from 'typeorm';
import { HistoryEntryEntity } from './history-entry.entity';

export interface HistoryFilter {
  q?: string;
  connectorId?: string;
  ok?: boolean;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

@Injectable()
export class HistoryRepository {
  constructor(@InjectRepository(HistoryEntryEntity) private readonly orm: Repository<HistoryEntryEntity>) {}

  /**
   * The filtered entries of a tenant. `q` is ILIKE on question or SQL, which the trigram GIN
   * indexes (history_question_trgm, history_sql_trgm) answer as a BitmapOr, not a table scan.
   */
  filtered(tenantId: string, filter: HistoryFilter): SelectQueryBuilder<HistoryEntryEntity> {
    const qb = this.orm.createQueryBuilder('h').where('h.tenant_id = :tenantId', { tenantId });
    if (filter.connectorId) qb.andWhere('h.connector_id = :connectorId', { connectorId: filter.connectorId });
    if (filter.ok !== undefined) qb.andWhere('h.ok = :ok', { ok: filter.ok });
    if (filter.q) qb.andWhere('(h.question ILIKE :q OR h.sql ILIKE :q)', { q: likePattern(filter.q) });
    return qb;
  }

  async page(
    tenantId: string,
    filter: HistoryFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[HistoryEntryEntity[], number]> {
    const total = await this.filtered(tenantId, filter).getCount();
    const rows = await this.pageQuery(tenantId, filter, limit, after).getMany();
    return [rows, total];
  }

  /** One page in keyset order (newest first), with the extra row that tells whether more follow. */
  pageQuery(
    tenantId: string,
    filter: HistoryFilter,
    limit: number,
    after?: Keyset,
  ): SelectQueryBuilder<HistoryEntryEntity> {
    const qb = this.filtered(tenantId, filter);
    if (after) qb.andWhere('(h.created_at, h.id) < (:t, :i)', { t: after.createdAt, i: after.id });
    return qb
      .orderBy('h.created_at', 'DESC')
      .addOrderBy('h.id', 'DESC')
      .take(limit + 1);
  }

  findOne(tenantId: string, id: string): Promise<HistoryEntryEntity | null> {
    return this.orm.findOne({ where: { tenantId, id } });
  }

  insert(values: Omit<HistoryEntryEntity, 'createdAt'>): Promise<HistoryEntryEntity> {
    return this.orm.save(this.orm.create(values));
  }

  /** Links the entry to its example unless another promotion got there first. */
  async linkExample(tenantId: string, id: string, exampleId: string): Promise<boolean> {
    const result = await this.orm.update({ tenantId, id, exampleId: IsNull() }, { exampleId });
    return (result.affected ?? 0) > 0;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.orm.delete({ tenantId, id });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Deletes each tenant's entries beyond the newest `keep` in one statement (only `tenantId`'s
   * when given); returns how many went. Per tenant, the (keep + 1)-th newest entry is found by
   * walking the history_page index, and it and everything older go: no sort of the whole table.
   */
  async pruneBeyond(keep: number, tenantId?: string): Promise<number> {
    const rows: Array<{ deleted: number }> = await this.orm.query(
      `WITH cutoff AS (
         SELECT t.id AS tenant_id, c.created_at, c.id
           FROM tenants t
           CROSS JOIN LATERAL (
             SELECT h.created_at, h.id
               FROM history_entries h
              WHERE h.tenant_id = t.id
              ORDER BY h.created_at DESC, h.id DESC
             OFFSET $1 LIMIT 1
           ) c
          WHERE $2::varchar IS NULL OR t.id = $2
       ), gone AS (
         DELETE FROM history_entries h
          USING cutoff c
          WHERE h.tenant_id = c.tenant_id AND (h.created_at, h.id) <= (c.created_at, c.id)
         RETURNING 1
       )
       SELECT count(*)::int AS deleted FROM gone`,
      [keep, tenantId ?? null],
    );
    return rows[0]?.deleted ?? 0;
  }
}
