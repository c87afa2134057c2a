import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError, decodeCursor, DEFAULT_PAGE_SIZE, Page, toPage } from '@sluice/core';
import { EntityManager } from 'typeorm';
import { ListUsersQueryDto, UpdateUserDto, UserResponseDto } from '../dto/user.dto';
import { MembershipRepository } from '../repositories/membership.repository';
import { RefreshTokenRepository } from '../repositories/refresh-token.repository';
import { UserRepository } from '../repositories/user.repository';
import { MemberAccessCache } from '../guards/member-access.cache';
import { AuthContext } from '../role';
import { mapMember } from './mappers';
import { PasswordService } from './password.service';

const USER_NOT_FOUND = () => new NotFoundError('USER_NOT_FOUND', 'User not found');
const ACCOUNT_SHARED = () =>
  new ConflictError(
    'ACCOUNT_SHARED',
    'This account also belongs to other tenants: here you can change its role or remove it, but not its name, password or disabled state',
  );
const LAST_ADMIN = () =>
  new ConflictError('LAST_ADMIN', 'A tenant needs at least one admin: make another user admin first');

/** Users as a tenant sees them: accounts joined to the caller's tenant through a membership. */
@Injectable()
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly memberships: MembershipRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly passwords: PasswordService,
    private readonly access: MemberAccessCache,
  ) {}

  async list(auth: AuthContext, query: ListUsersQueryDto): Promise<Page<UserResponseDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [rows, total] = await this.memberships.page(
      auth.tenantId,
      { q: query.q, role: query.role },
      limit,
      decodeCursor(query.cursor),
    );
    return toPage(rows, total, limit, mapMember, (m) => ({ createdAt: m.createdAt, id: m.userId }));
  }

  async get(auth: AuthContext, userId: string): Promise<UserResponseDto> {
    const member = await this.memberships.findMember(auth.tenantId, userId);
    if (!member) throw USER_NOT_FOUND();
    return mapMember(member);
  }

  async update(auth: AuthContext, userId: string, dto: UpdateUserDto): Promise<UserResponseDto> {
    const passwordHash = dto.password ? await this.passwords.hash(dto.password) : undefined;
    await this.memberships.withTenantLock(auth.tenantId, async (manager) => {
      const member = await this.memberships.findMember(auth.tenantId, userId, manager);
      if (!member) throw USER_NOT_FOUND();
      // The account is shared: changing it from one tenant would reach into the others.
      const touchesAccount = dto.name !== undefined || dto.password !== undefined || dto.disabled !== undefined;
      if (touchesAccount && (await this.memberships.countTenantsOf(userId, manager)) > 1) throw ACCOUNT_SHARED();
      const activeAdmin = member.role === 'admin' && !member.user.disabled;
      const losesAdmin = activeAdmin && ((dto.role && dto.role !== 'admin') || dto.disabled === true);
      if (losesAdmin) await this.assertAnotherAdmin(auth.tenantId, manager);
      if (dto.role && dto.role !== member.role)
        await this.memberships.updateRole(auth.tenantId, userId, dto.role, manager);
      const changes = {
        ...(dto.name !== undefined ? { name: dto.name.trim() } : {}),
        ...(passwordHash ? { passwordHash } : {}),
        ...(dto.disabled !== undefined ? { disabled: dto.disabled } : {}),
      };
      if (Object.keys(changes).length) await this.users.update(userId, changes, manager);
      // Access tokens issued before a new password or a disable stop working at once, not at expiry.
      if (passwordHash || dto.disabled === true) await this.users.bumpTokenGeneration(userId, manager);
    });
    // After the commit: a request between the two would otherwise cache what is being replaced.
    this.access.forgetUser(userId);
    if (dto.password || dto.disabled) await this.refreshTokens.revokeAllForUser(userId, new Date());
    return this.get(auth, userId);
  }

  /** Removes the user from this tenant, and the account itself when no tenant is left. */
  async remove(auth: AuthContext, userId: string): Promise<void> {
    await this.memberships.withTenantLock(auth.tenantId, async (manager) => {
      const member = await this.memberships.findMember(auth.tenantId, userId, manager);
      if (!member) throw USER_NOT_FOUND();
      if (member.role === 'admin' && !member.user.disabled) await this.assertAnotherAdmin(auth.tenantId, manager);
      await this.memberships.delete(auth.tenantId, userId, manager);
      await this.users.deleteIfOrphaned(userId, manager);
    });
    this.access.forgetUser(userId);
  }

  private async assertAnotherAdmin(tenantId: string, manager: EntityManager): Promise<void> {
    if ((await this.memberships.countActiveAdmins(tenantId, manager)) <= 1) throw LAST_ADMIN();
  }
}
