import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Keyset } from '@sluice/core';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { MembershipEntity } from '../entities/membership.entity';
import { Role } from '../role';

export interface MemberFilter {
  q?: string;
  role?: Role;
}

/** What the auth guard needs of a caller on every request: role, account state, token generation. */
export interface MemberAccess {
  role: Role;
  disabled: boolean;
  tokenGeneration: number;
}

// Read on every authenticated request, so one plain statement on the primary keys: TypeORM's
// findOne with a relation cost more CPU building the query and hydrating two entities than the
// round trip itself.
const ACCESS_SQL = `SELECT m.role, u.disabled, u.token_generation AS "tokenGeneration"
  FROM memberships m JOIN users u ON u.id = m.user_id
  WHERE m.tenant_id = $1 AND m.user_id = $2`;

/** A membership with its user, as the users routes show it. */
export type Member = MembershipEntity & { user: NonNullable<MembershipEntity['user']> };

@Injectable()
export class MembershipRepository {
  constructor(
    @InjectRepository(MembershipEntity) private readonly orm: Repository<MembershipEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** The membership of one user in one tenant, with the user; null when not a member. */
  async findMember(tenantId: string, userId: string, manager?: EntityManager): Promise<Member | null> {
    const repo = manager ? manager.getRepository(MembershipEntity) : this.orm;
    return (await repo.findOne({ where: { tenantId, userId }, relations: { user: true } })) as Member | null;
  }

  /** The caller's role in one tenant and the state of the account; null when not a member. */
  async findAccess(tenantId: string, userId: string): Promise<MemberAccess | null> {
    const rows = (await this.dataSource.query(ACCESS_SQL, [tenantId, userId])) as MemberAccess[];
    return rows[0] ?? null;
  }

  /** Every tenant of a user, oldest membership first. */
  listForUser(userId: string): Promise<MembershipEntity[]> {
    return this.orm.find({ where: { userId }, relations: { tenant: true }, order: { createdAt: 'ASC' } });
  }

  async page(tenantId: string, filter: MemberFilter, limit: number, after?: Keyset): Promise<[Member[], number]> {
    const qb = this.orm
      .createQueryBuilder('m')
      .innerJoinAndSelect('m.user', 'u')
      .where('m.tenant_id = :tenantId', { tenantId });
    if (filter.role) qb.andWhere('m.role = :role', { role: filter.role });
    if (filter.q) {
      qb.andWhere('(u.email ILIKE :q OR u.name ILIKE :q)', { q: `%${filter.q.replace(/[\\%_]/g, '\\$&')}%` });
    }
    const total = await qb.clone().getCount();
    if (after) {
      qb.andWhere('(m.created_at, m.user_id) < (:t, :i)', { t: after.createdAt, i: after.id });
    }
    const rows = await qb
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.user_id', 'DESC')
      .take(limit + 1)
      .getMany();
    return [rows as Member[], total];
  }

  async insert(tenantId: string, userId: string, role: Role, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(MembershipEntity) : this.orm;
    await repo.insert({ tenantId, userId, role });
  }

  async updateRole(tenantId: string, userId: string, role: Role, manager: EntityManager): Promise<void> {
    await manager.getRepository(MembershipEntity).update({ tenantId, userId }, { role });
  }

  async delete(tenantId: string, userId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(MembershipEntity).delete({ tenantId, userId });
  }

  countTenantsOf(userId: string, manager: EntityManager): Promise<number> {
    return manager.getRepository(MembershipEntity).count({ where: { userId } });
  }

  /** Admins who can still sign in: a disabled admin does not keep a tenant manageable. */
  async countActiveAdmins(tenantId: string, manager: EntityManager): Promise<number> {
    const rows: Array<{ count: number }> = await manager.query(
      `SELECT count(*)::int AS count FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.tenant_id = $1 AND m.role = 'admin' AND NOT u.disabled`,
      [tenantId],
    );
    return rows[0].count;
  }

  /**
   * Runs `work` in a transaction holding the tenant's row lock, so two admins changing roles at
   * once cannot both pass the "one admin must remain" check.
   */
  withTenantLock<T>(tenantId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT id FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
      return work(manager);
    });
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
