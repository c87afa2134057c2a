import { Injectable } from '@nestjs/common';
import { ForbiddenError, UnauthorizedError } from '@sluice/core';
import { MembershipEntity } from '../entities/membership.entity';
import { LoginDto, MeResponseDto, RefreshDto, TokenResponseDto } from '../dto/auth.dto';
import { MembershipRepository } from '../repositories/membership.repository';
import { RefreshTokenRepository } from '../repositories/refresh-token.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { UserRepository } from '../repositories/user.repository';
import { MemberAccessCache } from '../guards/member-access.cache';
import { AuthContext } from '../role';
import { InvitationService } from './invitation.service';
import { PasswordService } from './password.service';
import { sha256Hex, TokenService } from './token.service';

const INVALID_CREDENTIALS = () => new UnauthorizedError('INVALID_CREDENTIALS', 'Invalid e-mail or password');
const INVALID_REFRESH = () =>
  new UnauthorizedError('REFRESH_TOKEN_INVALID', 'Refresh token is invalid, expired or already used; sign in again');

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UserRepository,
    private readonly tenants: TenantRepository,
    private readonly memberships: MembershipRepository,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly invitations: InvitationService,
    private readonly access: MemberAccessCache,
  ) {}

  /** Unknown e-mail, wrong password and disabled account all get the same answer. */
  async login(dto: LoginDto): Promise<TokenResponseDto> {
    const user = await this.users.findByEmail(dto.email);
    const ok = await this.passwords.verify(user?.passwordHash ?? null, dto.password);
    if (!user || !ok || user.disabled) throw INVALID_CREDENTIALS();

    await this.invitations.acceptOnFirstSignIn(user.id);

    const membership = this.pickTenant(await this.memberships.listForUser(user.id), dto.tenant);
    await this.users.update(user.id, { lastLoginAt: new Date() });
    return this.tokens.issue(user, membership.tenant!, membership.role);
  }

  /** Trades a refresh token for a new pair. A token used twice revokes all of that user's sessions. */
  async refresh(dto: RefreshDto): Promise<TokenResponseDto> {
    const stored = await this.refreshTokens.findByHash(sha256Hex(dto.refreshToken));
    if (!stored) throw INVALID_REFRESH();
    const now = new Date();
    if (stored.revokedAt) {
      await this.refreshTokens.revokeAllForUser(stored.userId, now);
      throw INVALID_REFRESH();
    }
    if (stored.expiresAt <= now || !(await this.refreshTokens.revoke(stored.id, now))) throw INVALID_REFRESH();

    const member = await this.memberships.findMember(stored.tenantId, stored.userId);
    const tenant = await this.tenants.findById(stored.tenantId);
    if (!member || !tenant || member.user.disabled) throw INVALID_REFRESH();
    return this.tokens.issue(member.user, tenant, member.role);
  }

  async logout(dto: RefreshDto): Promise<void> {
    const stored = await this.refreshTokens.findByHash(sha256Hex(dto.refreshToken));
    if (stored) await this.refreshTokens.revoke(stored.id, new Date());
  }

  /** Signs the caller out everywhere: every access token and refresh token of the account stops working. */
  async logoutEverywhere(auth: AuthContext): Promise<void> {
    if (auth.via !== 'jwt' || !auth.userId) {
      throw new ForbiddenError('NEEDS_USER', 'An API key acts for a tenant, not a person: revoke it instead');
    }
    await this.users.bumpTokenGeneration(auth.userId);
    this.access.forgetUser(auth.userId);
    await this.refreshTokens.revokeAllForUser(auth.userId, new Date());
  }

  async me(auth: AuthContext): Promise<MeResponseDto> {
    // An API key acts for the tenant, not for the admin who created it.
    const userId = auth.via === 'api_key' ? null : auth.userId;
    // Independent reads, sent together: one round trip instead of three.
    const [tenant, member, all] = await Promise.all([
      this.tenants.findById(auth.tenantId),
      userId ? this.memberships.findMember(auth.tenantId, userId) : null,
      userId ? this.memberships.listForUser(userId) : [],
    ]);
    if (!tenant) throw new UnauthorizedError('TENANT_GONE', 'The tenant of this token no longer exists');
    if (!userId) {
      return { user: null, tenant: { id: tenant.id, name: tenant.name }, role: auth.role, via: auth.via, tenants: [] };
    }
    if (!member) throw new UnauthorizedError('MEMBERSHIP_GONE', 'You are no longer a member of this tenant');
    return {
      user: { id: member.user.id, email: member.user.email, name: member.user.name },
      tenant: { id: tenant.id, name: tenant.name },
      role: auth.role,
      via: auth.via,
      tenants: all.map((m) => ({ id: m.tenantId, name: m.tenant!.name, role: m.role })),
    };
  }

  private pickTenant(all: MembershipEntity[], wanted: string | undefined): MembershipEntity {
    if (all.length === 0) throw new ForbiddenError('NO_TENANT', 'This account does not belong to any tenant');
    if (!wanted) return all[0];
    const found = all.find((m) => m.tenantId === wanted || m.tenant!.name.toLowerCase() === wanted.toLowerCase());
    if (!found) throw new ForbiddenError('TENANT_FORBIDDEN', 'You are not a member of that tenant');
    return found;
  }
}
