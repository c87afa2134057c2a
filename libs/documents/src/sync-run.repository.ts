import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Keyset } from '@sluice/core';
import { EntityManager, In, QueryDeepPartialEntity, Repository } from 'typeorm';
import { SyncRunEntity } from './sync-run.entity';

const ACTIVE = ['queued', 'running'] as const;
/** First key of the advisory lock that serialises run inserts of one tenant (the second is the tenant's hash). */
const TENANT_RUNS_LOCK = 0x5359_4e43;

/** A run inserted, or why not: the connector has an active run already, or the tenant has its maximum. */
export type InsertActiveOutcome = SyncRunEntity | 'connector_active' | 'tenant_full';

@Injectable()
export class SyncRunRepository {
  constructor(@InjectRepository(SyncRunEntity) private readonly orm: Repository<SyncRunEntity>) {}

  /**
   * Inserts a queued run unless the connector already has an active one (the unique index says
   * so) or the tenant already has `maxActive` active runs. The count and the insert run under a
   * transaction-scoped advisory lock of the tenant, so concurrent starts on any API instance
   * cannot both take the last place.
   */
  async insertActive(
    values: Omit<SyncRunEntity, 'createdAt' | 'updatedAt'>,
    maxActive: number,
  ): Promise<InsertActiveOutcome> {
    try {
      return await this.orm.manager.transaction(async (manager) => {
        await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TENANT_RUNS_LOCK, values.tenantId]);
        const repo = manager.getRepository(SyncRunEntity);
        const where = { tenantId: values.tenantId, status: In([...ACTIVE]) };
        if (await repo.exists({ where: { ...where, connectorId: values.connectorId } })) return 'connector_active';
        if ((await repo.count({ where })) >= maxActive) return 'tenant_full';
        return await repo.save(repo.create(values));
      });
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return 'connector_active';
      throw e;
    }
  }

  findActive(tenantId: string, connectorId: string): Promise<SyncRunEntity | null> {
    return this.orm.findOne({ where: { tenantId, connectorId, status: In([...ACTIVE]) } });
  }

  findOne(tenantId: string, connectorId: string, id: string): Promise<SyncRunEntity | null> {
    return this.orm.findOne({ where: { tenantId, connectorId, id } });
  }

  async page(tenantId: string, connectorId: string, limit: number, after?: Keyset): Promise<[SyncRunEntity[], number]> {
    const qb = this.orm
      .createQueryBuilder('r')
      .where('r.tenant_id = :tenantId AND r.connector_id = :connectorId', { tenantId, connectorId });
    const total = await qb.clone().getCount();
    if (after) qb.andWhere('(r.created_at, r.id) < (:t, :i)', { t: after.createdAt, i: after.id });
    const rows = await qb
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(limit + 1)
      .getMany();
    return [rows, total];
  }

  async update(tenantId: string, id: string, changes: Partial<SyncRunEntity>, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(SyncRunEntity) : this.orm;
    await repo.update({ tenantId, id }, changes as QueryDeepPartialEntity<SyncRunEntity>);
  }

  /** Moves a queued run straight to cancelled; false when a worker already took it. */
  async cancelIfQueued(tenantId: string, id: string): Promise<boolean> {
    const result = await this.orm.update(
      { tenantId, id, status: 'queued' },
      { status: 'cancelled', cancelRequested: true, finishedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * Claims a run for a worker: a queued one, or a running one whose worker died (Bull hands the
   * stalled job to another). False when it was stopped or finished meanwhile.
   */
  async claim(tenantId: string, id: string): Promise<boolean> {
    const result = await this.orm.update(
      { tenantId, id, status: In(['queued', 'running']), cancelRequested: false },
      { status: 'running', startedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Ends a run whose stop was asked for while no worker was left to see it; true when it did. */
  async finishIfStopped(tenantId: string, id: string): Promise<boolean> {
    const result = await this.orm.update(
      { tenantId, id, status: In(['queued', 'running']), cancelRequested: true },
      { status: 'cancelled', finishedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * Locks the run row for the rest of the caller's transaction and says whether a stop was
   * asked for. A stop updates the same row, so it waits for a batch in flight and every batch
   * after it sees the flag: once the stop has answered, nothing more is written.
   */
  async lockAndCheckCancel(manager: EntityManager, tenantId: string, id: string): Promise<boolean> {
    const rows: Array<{ cancel_requested: boolean }> = await manager.query(
      'SELECT cancel_requested FROM sync_runs WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
      [tenantId, id],
    );
    return rows[0]?.cancel_requested ?? true;
  }
}
