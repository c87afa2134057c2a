import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Keyset } from '@sluice/core';
import type { SqlDialect } from '@sluice/core';
import { Brackets, QueryDeepPartialEntity, Repository } from 'typeorm';
import { ExampleEntity } from './example.entity';

export interface ExampleFilter {
  connectorId?: string;
  tag?: string;
  q?: string;
}

/** Which examples may guide a question: those of the connector, and those of no connector in its dialect. */
export interface CandidateScope {
  connectorId?: string;
  dialect?: SqlDialect;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

@Injectable()
export class ExampleRepository {
  constructor(@InjectRepository(ExampleEntity) private readonly orm: Repository<ExampleEntity>) {}

  async page(
    tenantId: string,
    filter: ExampleFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[ExampleEntity[], number]> {
    const qb = this.orm.createQueryBuilder('e').where('e.tenant_id = :tenantId', { tenantId });
    if (filter.connectorId) qb.andWhere('e.connector_id = :connectorId', { connectorId: filter.connectorId });
    if (filter.tag) qb.andWhere('e.tags @> ARRAY[:tag]::text[]', { tag: filter.tag });
    if (filter.q) qb.andWhere('(e.question ILIKE :q OR e.sql ILIKE :q)', { q: likePattern(filter.q) });
    const total = await qb.clone().getCount();
    if (after) qb.andWhere('(e.created_at, e.id) < (:t, :i)', { t: after.createdAt, i: after.id });
    const rows = await qb
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(limit + 1)
      .getMany();
    return [rows, total];
  }

  /** Candidates for retrieval, newest first (ties in ranking then favour the newer example). */
  candidates(tenantId: string, scope: CandidateScope): Promise<ExampleEntity[]> {
    const qb = this.orm.createQueryBuilder('e').where('e.tenant_id = :tenantId', { tenantId });
    if (scope.connectorId) {
      qb.andWhere(
        new Brackets((or) => {
          or.where('e.connector_id = :connectorId', { connectorId: scope.connectorId });
          if (scope.dialect)
            or.orWhere('(e.connector_id IS NULL AND e.dialect = :dialect)', { dialect: scope.dialect });
        }),
      );
    } else if (scope.dialect) {
      qb.andWhere('e.dialect = :dialect', { dialect: scope.dialect });
    }
    return qb.orderBy('e.created_at', 'DESC').addOrderBy('e.id', 'DESC').getMany();
  }

  findOne(tenantId: string, id: string): Promise<ExampleEntity | null> {
    return this.orm.findOne({ where: { tenantId, id } });
  }

  insert(values: Omit<ExampleEntity, 'createdAt' | 'updatedAt'>): Promise<ExampleEntity> {
    return this.orm.save(this.orm.create(values));
  }

  async update(tenantId: string, id: string, changes: Partial<ExampleEntity>): Promise<void> {
    await this.orm.update({ tenantId, id }, changes as QueryDeepPartialEntity<ExampleEntity>);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.orm.delete({ tenantId, id });
    return (result.affected ?? 0) > 0;
  }
}
