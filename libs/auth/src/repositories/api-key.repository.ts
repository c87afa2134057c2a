import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Keyset } from '@sluice/core';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly orm: Repository<ApiKeyEntity>) {}

  insert(values: Omit<ApiKeyEntity, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyEntity> {
    return this.orm.save(this.orm.create({ ...values, lastUsedAt: null, revokedAt: null }));
  }

  /** The only lookup without a tenant: the key itself says which tenant it belongs to. */
  findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.orm.findOne({ where: { keyHash } });
  }

  findOne(tenantId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.orm.findOne({ where: { tenantId, id } });
  }

  async page(
    tenantId: string,
    includeRevoked: boolean,
    limit: number,
    after?: Keyset,
  ): Promise<[ApiKeyEntity[], number]> {
    const qb = this.orm.createQueryBuilder('k').where('k.tenant_id = :tenantId', { tenantId });
    if (!includeRevoked) qb.andWhere('k.revoked_at IS NULL');
    const total = await qb.clone().getCount();
    if (after) qb.andWhere('(k.created_at, k.id) < (:t, :i)', { t: after.createdAt, i: after.id });
    const rows = await qb
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .take(limit + 1)
      .getMany();
    return [rows, total];
  }

  async revoke(tenantId: string, id: string, at: Date): Promise<void> {
    await this.orm.update({ tenantId, id, revokedAt: IsNull() }, { revokedAt: at });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.orm.update({ id }, { lastUsedAt: at });
  }
}
