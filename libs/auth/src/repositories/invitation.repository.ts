import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Keyset } from '@sluice/core';
import { EntityManager, Repository } from 'typeorm';
import { InvitationEntity, InvitationStatus } from '../entities/invitation.entity';

/** The most pending invitations one person is shown at once. */
export const MAX_RECEIVED_INVITATIONS = 100;

/**
 * Invitations as the inviting tenant sees them (every method takes its tenant id) and as the
 * invitee sees them (by the e-mail of the signed-in account, across tenants, like memberships).
 */
@Injectable()
export class InvitationRepository {
  constructor(@InjectRepository(InvitationEntity) private readonly orm: Repository<InvitationEntity>) {}

  private repo(manager?: EntityManager): Repository<InvitationEntity> {
    return manager ? manager.getRepository(InvitationEntity) : this.orm;
  }

  async insert(
    values: Pick<InvitationEntity, 'id' | 'tenantId' | 'email' | 'role' | 'invitedBy' | 'createdUserId' | 'expiresAt'>,
    manager?: EntityManager,
  ): Promise<InvitationEntity> {
    const repo = this.repo(manager);
    return repo.save(repo.create({ ...values, status: 'pending', respondedAt: null }));
  }

  findInTenant(tenantId: string, id: string, manager?: EntityManager): Promise<InvitationEntity | null> {
    return this.repo(manager).findOne({ where: { tenantId, id } });
  }

  findPendingInTenantByEmail(tenantId: string, email: string): Promise<InvitationEntity | null> {
    return this.orm
      .createQueryBuilder('i')
      .where('i.tenant_id = :tenantId AND lower(i.email) = lower(:email) AND i.status = :status', {
        tenantId,
        email,
        status: 'pending',
      })
      .getOne();
  }

  async page(
    tenantId: string,
    status: InvitationStatus | undefined,
    limit: number,
    after?: Keyset,
  ): Promise<[InvitationEntity[], number]> {
    const qb = this.orm.createQueryBuilder('i').where('i.tenant_id = :tenantId', { tenantId });
    if (status) qb.andWhere('i.status = :status', { status });
    const total = await qb.clone().getCount();
    if (after) qb.andWhere('(i.created_at, i.id) < (:t, :i)', { t: after.createdAt, i: after.id });
    const rows = await qb
      .orderBy('i.created_at', 'DESC')
      .addOrderBy('i.id', 'DESC')
      .take(limit + 1)
      .getMany();
    return [rows, total];
  }

  /** Pending, unexpired invitations to an e-mail, in every tenant, with their tenant. */
  listPendingFor(email: string, now: Date): Promise<InvitationEntity[]> {
    return this.orm
      .createQueryBuilder('i')
      .innerJoinAndSelect('i.tenant', 't')
      .where('lower(i.email) = lower(:email) AND i.status = :status AND i.expires_at > :now', {
        email,
        status: 'pending',
        now,
      })
      .orderBy('i.created_at', 'DESC')
      .take(MAX_RECEIVED_INVITATIONS)
      .getMany();
  }

  /** One invitation to this e-mail, locked for an answer; null when it is not theirs. */
  findForInviteeLocked(manager: EntityManager, email: string, id: string): Promise<InvitationEntity | null> {
    return manager
      .getRepository(InvitationEntity)
      .createQueryBuilder('i')
      .setLock('pessimistic_write')
      .where('i.id = :id AND lower(i.email) = lower(:email)', { id, email })
      .getOne();
  }

  /** Pending invitations that created this account: its owner's first sign-in accepts them. */
  listPendingCreatedFor(userId: string, manager: EntityManager): Promise<InvitationEntity[]> {
    return manager
      .getRepository(InvitationEntity)
      .createQueryBuilder('i')
      .setLock('pessimistic_write')
      .where('i.created_user_id = :userId AND i.status = :status', { userId, status: 'pending' })
      .getMany();
  }

  findWithTenant(id: string): Promise<InvitationEntity | null> {
    return this.orm.findOne({ where: { id }, relations: { tenant: true } });
  }

  async answer(id: string, status: InvitationStatus, at: Date, manager: EntityManager): Promise<void> {
    await manager.getRepository(InvitationEntity).update({ id }, { status, respondedAt: at });
  }
}
