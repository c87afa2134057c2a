import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { newId } from '@sluice/core';
import { EntityManager, Repository } from 'typeorm';
import { UserEntity } from '../entities/user.entity';

/** Users exist across tenants; what a tenant may see of them goes through memberships. */
@Injectable()
export class UserRepository {
  constructor(@InjectRepository(UserEntity) private readonly orm: Repository<UserEntity>) {}

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.orm.createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getOne();
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.orm.findOne({ where: { id } });
  }

  async insert(
    values: Pick<UserEntity, 'email' | 'name' | 'passwordHash'>,
    manager?: EntityManager,
  ): Promise<UserEntity> {
    const repo = manager ? manager.getRepository(UserEntity) : this.orm;
    return repo.save(
      repo.create({ id: newId('user'), disabled: false, lastLoginAt: null, tokenGeneration: 0, ...values }),
    );
  }

  async update(
    id: string,
    changes: Partial<Pick<UserEntity, 'name' | 'passwordHash' | 'disabled' | 'lastLoginAt'>>,
    manager?: EntityManager,
  ): Promise<void> {
    const repo = manager ? manager.getRepository(UserEntity) : this.orm;
    await repo.update({ id }, changes);
  }

  /** Ends every access token of the user issued so far (they carry the old generation). */
  async bumpTokenGeneration(id: string, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(UserEntity) : this.orm;
    await repo.increment({ id }, 'tokenGeneration', 1);
  }

  /** Removes a user who no longer belongs to any tenant. */
  async deleteIfOrphaned(id: string, manager: EntityManager): Promise<void> {
    await manager.query(
      'DELETE FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1)',
      [id],
    );
  }
}
