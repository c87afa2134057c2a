import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { newId, Keyset } from '@sluice/core';
import { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm';
import { ConnectorEntity } from './connector.entity';
import type { ConnectorRole, ConnectorStatus } from './connector.types';

export interface ConnectorFilter {
  type?: string;
  status?: ConnectorStatus;
  role?: ConnectorRole;
  q?: string;
}

/** What a caller decides about a new connector; the rest starts empty. */
export type NewConnector = Pick<
  ConnectorEntity,
  | 'tenantId'
  | 'name'
  | 'type'
  | 'role'
  | 'description'
  | 'config'
  | 'authMethod'
  | 'authConfig'
  | 'status'
  | 'managed'
  | 'createdBy'
>;

export type ConnectorChanges = Partial<
  Omit<ConnectorEntity, 'id' | 'tenantId' | 'createdAt' | 'updatedAt' | 'createdBy'>
>;

/** The only place that queries connectors; every method is scoped to a tenant. */
@Injectable()
export class ConnectorRepository {
  constructor(@InjectRepository(ConnectorEntity) private readonly orm: Repository<ConnectorEntity>) {}

  findOne(tenantId: string, id: string): Promise<ConnectorEntity | null> {
    return this.orm.findOne({ where: { tenantId, id } });
  }

  /**
   * The one lookup without a tenant: an inbound push (POST /hooks/{id}) carries no token, so its
   * tenant is the connector's own, and the push is trusted only once its signature checks out
   * with that connector's secret. Only types fed by pushes are found.
   */
  findPushTarget(id: string, types: string[]): Promise<ConnectorEntity | null> {
    if (types.length === 0) return Promise.resolve(null);
    return this.orm.findOne({ where: types.map((type) => ({ id, type })) });
  }

  findByName(tenantId: string, name: string): Promise<ConnectorEntity | null> {
    return this.orm
      .createQueryBuilder('c')
      .where('c.tenant_id = :tenantId AND lower(c.name) = lower(:name)', { tenantId, name })
      .getOne();
  }

  async page(
    tenantId: string,
    filter: ConnectorFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[ConnectorEntity[], number]> {
    const qb = this.orm.createQueryBuilder('c').where('c.tenant_id = :tenantId', { tenantId });
    if (filter.type) qb.andWhere('c.type = :type', { type: filter.type });
    if (filter.status) qb.andWhere('c.status = :status', { status: filter.status });
    if (filter.role) qb.andWhere('c.role = :role', { role: filter.role });
    if (filter.q) {
      qb.andWhere('(c.name ILIKE :q OR c.description ILIKE :q)', { q: `%${filter.q.replace(/[\\%_]/g, '\\$&')}%` });
    }
    const counted = qb.clone();
    if (after) qb.andWhere('(c.created_at, c.id) < (:t, :i)', { t: after.createdAt, i: after.id });
    // Two independent reads: sent together, on two pooled connections, they cost one round trip.
    const [total, rows] = await Promise.all([
      counted.getCount(),
      qb
        .orderBy('c.created_at', 'DESC')
        .addOrderBy('c.id', 'DESC')
        .take(limit + 1)
        .getMany(),
    ]);
    return [rows, total];
  }

  insert(values: NewConnector): Promise<ConnectorEntity> {
    return this.orm.save(
      this.orm.create({
        id: newId('connector'),
        metadata: {},
        lastTestedAt: null,
        lastError: null,
        lastSyncAt: null,
        lastSyncRowCount: null,
        lastUsedAt: null,
        ...values,
      }),
    );
  }

  async update(tenantId: string, id: string, changes: ConnectorChanges): Promise<void> {
    // TypeORM's deep-partial type does not accept open jsonb records; the columns are ours.
    if (Object.keys(changes).length)
      await this.orm.update({ tenantId, id }, changes as QueryDeepPartialEntity<ConnectorEntity>);
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.orm.delete({ tenantId, id });
  }
}
