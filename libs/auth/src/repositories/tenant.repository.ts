import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { newId } from '@sluice/core';
import { EntityManager, Repository } from 'typeorm';
import { TenantEntity } from '../entities/tenant.entity';

@Injectable()
export class TenantRepository {
  constructor(@InjectRepository(TenantEntity) private readonly orm: Repository<TenantEntity>) {}

  count(): Promise<number> {
    return this.orm.count();
  }

  findById(id: string): Promise<TenantEntity | null> {
    return this.orm.findOne({ where: { id } });
  }

  findByName(name: string): Promise<TenantEntity | null> {
    return this.orm.createQueryBuilder('t').where('lower(t.name) = lower(:name)', { name }).getOne();
  }

  async insert(name: string, manager?: EntityManager): Promise<TenantEntity> {
    const repo = manager ? manager.getRepository(TenantEntity) : this.orm;
    return repo.save(repo.create({ id: newId('tenant'), name }));
  }
}
