import { Injectable } from '@nestjs/common';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  newId,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  toPage,
} from '@sluice/core';
import { EntityManager } from 'typeorm';
import { InvitationEntity, InvitationStatus } from '../entities/invitation.entity';
import {
  InvitationResponseDto,
  ListInvitationsQueryDto,
  ReceivedInvitationListDto,
  ReceivedInvitationResponseDto,
} from '../dto/invitation.dto';
import { CreateUserDto } from '../dto/user.dto';
import { InvitationRepository } from '../repositories/invitation.repository';
import { MembershipRepository } from '../repositories/membership.repository';
import { UserRepository } from '../repositories/user.repository';
import { AuthContext } from '../role';
import { mapInvitation, mapReceivedInvitation } from './mappers';
import { PasswordService } from './password.service';

/** How long an invitation may wait for its answer. */
export const INVITATION_TTL_MS = 14 * 86_400_000;

const USER_EXISTS = () => new ConflictError('USER_EXISTS', 'A user with this e-mail is already in this tenant');
const INVITATION_PENDING = () =>
  new ConflictError('INVITATION_PENDING', 'This e-mail already has a pending invitation to this tenant');
const INVITATION_NOT_FOUND = () => new NotFoundError('INVITATION_NOT_FOUND', 'Invitation not found');
const NOT_PENDING = (status: InvitationStatus) =>
  new ConflictError('INVITATION_NOT_PENDING', `This invitation was already answered (status: ${status})`);
const EXPIRED = () => new ConflictError('INVITATION_EXPIRED', 'This invitation has expired; ask for a new one');
const NEEDS_USER = () =>
  new ForbiddenError('NEEDS_USER', 'Invitations are answered by a person: sign in, an API key cannot');

/**
 * Joining a tenant takes the consent of the account's owner. An admin's `POST /users` makes an
 * invitation, whatever the e-mail: the answer is the same whether an account exists or not, and
 * shows nothing of it. A new e-mail gets an account with the admin's password, whose first
 * sign-in accepts the invitation; an existing account accepts or declines it while signed in.
 */
@Injectable()
export class InvitationService {
  constructor(
    private readonly invitations: InvitationRepository,
    private readonly users: UserRepository,
    private readonly memberships: MembershipRepository,
    private readonly passwords: PasswordService,
  ) {}

  async invite(auth: AuthContext, dto: CreateUserDto): Promise<InvitationResponseDto> {
    // Hashed even when the account exists and keeps its password: both answers take as long.
    const passwordHash = await this.passwords.hash(dto.password);
    try {
      return await this.inviteWithHash(auth, dto, passwordHash);
    } catch (error) {
      // Another tenant created the account a moment ago: invite it as the existing account it now is.
      if ((error as { constraint?: string }).constraint !== 'users_email_ci') throw error;
      return this.inviteWithHash(auth, dto, passwordHash);
    }
  }

  private async inviteWithHash(
    auth: AuthContext,
    dto: CreateUserDto,
    passwordHash: string,
  ): Promise<InvitationResponseDto> {
    const email = dto.email.trim();
    const existing = await this.users.findByEmail(email);
    if (existing && (await this.memberships.findMember(auth.tenantId, existing.id))) throw USER_EXISTS();
    if (await this.invitations.findPendingInTenantByEmail(auth.tenantId, email)) throw INVITATION_PENDING();
    try {
      const invitation = await this.memberships.transaction(async (manager) => {
        const created = existing
          ? null
          : await this.users.insert({ email, name: dto.name?.trim() ?? '', passwordHash }, manager);
        return this.invitations.insert(
          {
            id: newId('invitation'),
            tenantId: auth.tenantId,
            email,
            role: dto.role,
            invitedBy: auth.userId,
            createdUserId: created?.id ?? null,
            expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
          },
          manager,
        );
      });
      return mapInvitation(invitation);
    } catch (error) {
      // Two admins of this tenant inviting the same e-mail at once: the pending index lets one win.
      if ((error as { constraint?: string }).constraint === 'invitations_pending_email') throw INVITATION_PENDING();
      throw error;
    }
  }

  async list(auth: AuthContext, query: ListInvitationsQueryDto): Promise<Page<InvitationResponseDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [rows, total] = await this.invitations.page(auth.tenantId, query.status, limit, decodeCursor(query.cursor));
    return toPage(rows, total, limit, mapInvitation);
  }

  /** Withdraws a pending invitation; an account it created and nobody ever signed in to goes too. */
  async revoke(auth: AuthContext, id: string): Promise<InvitationResponseDto> {
    return this.memberships.withTenantLock(auth.tenantId, async (manager) => {
      const invitation = await this.invitations.findInTenant(auth.tenantId, id, manager);
      if (!invitation) throw INVITATION_NOT_FOUND();
      if (invitation.status !== 'pending') throw NOT_PENDING(invitation.status);
      await this.invitations.answer(id, 'revoked', new Date(), manager);
      if (invitation.createdUserId) await this.users.deleteIfOrphaned(invitation.createdUserId, manager);
      return mapInvitation((await this.invitations.findInTenant(auth.tenantId, id, manager))!);
    });
  }

  /** The caller's pending invitations, in every tenant. */
  async listReceived(auth: AuthContext): Promise<ReceivedInvitationListDto> {
    const email = await this.emailOf(auth);
    const rows = await this.invitations.listPendingFor(email, new Date());
    return { data: rows.map(mapReceivedInvitation) };
  }

  async accept(auth: AuthContext, id: string): Promise<ReceivedInvitationResponseDto> {
    return this.answer(auth, id, 'accepted');
  }

  async decline(auth: AuthContext, id: string): Promise<ReceivedInvitationResponseDto> {
    return this.answer(auth, id, 'declined');
  }

  /**
   * At sign-in: the invitations that created this account are accepted by its owner's first
   * sign-in with the password they were given. Invitations to accounts that already existed
   * wait for an explicit answer.
   */
  async acceptOnFirstSignIn(userId: string): Promise<void> {
    await this.memberships.transaction(async (manager) => {
      for (const invitation of await this.invitations.listPendingCreatedFor(userId, manager)) {
        await this.join(manager, invitation, userId);
      }
    });
  }

  private async answer(
    auth: AuthContext,
    id: string,
    status: 'accepted' | 'declined',
  ): Promise<ReceivedInvitationResponseDto> {
    const email = await this.emailOf(auth);
    await this.memberships.transaction(async (manager) => {
      const invitation = await this.invitations.findForInviteeLocked(manager, email, id);
      if (!invitation) throw INVITATION_NOT_FOUND();
      if (invitation.status !== 'pending') throw NOT_PENDING(invitation.status);
      if (invitation.expiresAt <= new Date()) throw EXPIRED();
      if (status === 'accepted') await this.join(manager, invitation, auth.userId!);
      else await this.invitations.answer(id, 'declined', new Date(), manager);
    });
    return mapReceivedInvitation((await this.invitations.findWithTenant(id))!);
  }

  private async join(manager: EntityManager, invitation: InvitationEntity, userId: string): Promise<void> {
    if (!(await this.memberships.findMember(invitation.tenantId, userId, manager))) {
      await this.memberships.insert(invitation.tenantId, userId, invitation.role, manager);
    }
    await this.invitations.answer(invitation.id, 'accepted', new Date(), manager);
  }

  private async emailOf(auth: AuthContext): Promise<string> {
    if (auth.via !== 'jwt' || !auth.userId) throw NEEDS_USER();
    const user = await this.users.findById(auth.userId);
    if (!user) throw NEEDS_USER();
    return user.email;
  }
}
