import { newId, Keyset } from '@sluice/core';
import { EntityManager } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { InvitationEntity, InvitationStatus } from '../entities/invitation.entity';
import { MembershipEntity } from '../entities/membership.entity';
import { RefreshTokenEntity } from '../entities/refresh-token.entity';
import { TenantEntity } from '../entities/tenant.entity';
import { UserEntity } from '../entities/user.entity';
import { ApiKeyRepository } from '../repositories/api-key.repository';
import { InvitationRepository, MAX_RECEIVED_INVITATIONS } from '../repositories/invitation.repository';
import { Member, MemberAccess, MemberFilter, MembershipRepository } from '../repositories/membership.repository';
import { RefreshTokenRepository } from '../repositories/refresh-token.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { UserRepository } from '../repositories/user.repository';
import { Role } from '../role';
import { PasswordService } from '../services/password.service';

/*
 * In-memory stand-ins for the auth repositories, for service specs. They keep the rows the real
 * ones keep, in one shared store, and answer the same questions the same way (tenant scoping,
 * case-insensitive e-mails, newest-first keyset pages). A transaction restores the store when its
 * work throws, as a rollback would. The integration specs check the real queries against these
 * rules; these files are left out of the build (tsconfig.build.json excludes *.fake.ts).
 */

/** A fake, typed as the repository it stands in for (the real classes hold private TypeORM members). */
export const asReal = <T>(fake: unknown): T => fake as T;

/** The manager fakes hand to transaction work; fakes ignore it, as they have no connection. */
const FAKE_MANAGER = Object.freeze({ fake: 'entity-manager' }) as unknown as EntityManager;

/** The rows of every auth table. */
export class AuthStore {
  tenants = new Map<string, TenantEntity>();
  users = new Map<string, UserEntity>();
  memberships: MembershipEntity[] = [];
  invitations = new Map<string, InvitationEntity>();
  refreshTokens = new Map<string, RefreshTokenEntity>();
  apiKeys = new Map<string, ApiKeyEntity>();
  private tick = Date.parse('2026-01-01T00:00:00Z');

  /** A strictly increasing clock for created_at, so newest-first order is never a tie. */
  now(): Date {
    this.tick = Math.max(this.tick + 1, Date.now());
    return new Date(this.tick);
  }

  /** Runs `work`; when it throws, every table is put back as it was (a rollback). */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const saved = structuredClone({
      tenants: this.tenants,
      users: this.users,
      memberships: this.memberships,
      invitations: this.invitations,
      refreshTokens: this.refreshTokens,
      apiKeys: this.apiKeys,
    });
    try {
      return await work(FAKE_MANAGER);
    } catch (error) {
      Object.assign(this, saved);
      throw error;
    }
  }

  // Helpers for arranging a spec.

  addTenant(name: string): TenantEntity {
    const at = this.now();
    const tenant: TenantEntity = { id: newId('tenant'), name, createdAt: at, updatedAt: at };
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  addUser(values: Partial<UserEntity> & Pick<UserEntity, 'email'>): UserEntity {
    const at = this.now();
    const user: UserEntity = {
      id: newId('user'),
      name: '',
      passwordHash: 'unset',
      disabled: false,
      tokenGeneration: 0,
      lastLoginAt: null,
      createdAt: at,
      updatedAt: at,
      ...values,
    };
    this.users.set(user.id, user);
    return user;
  }

  addMembership(tenantId: string, userId: string, role: Role): MembershipEntity {
    const at = this.now();
    const membership: MembershipEntity = { tenantId, userId, role, createdAt: at, updatedAt: at };
    this.memberships.push(membership);
    return membership;
  }

  membershipOf(tenantId: string, userId: string): MembershipEntity | undefined {
    return this.memberships.find((m) => m.tenantId === tenantId && m.userId === userId);
  }
}

const sameText = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Newest first on (createdAt, id), after a keyset, `limit + 1` rows (the extra one says "more"). */
function keysetPage<T>(rows: T[], keyOf: (row: T) => Keyset, limit: number, after?: Keyset): [T[], number] {
  const desc = (a: Keyset, b: Keyset): number =>
    b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const sorted = [...rows].sort((a, b) => desc(keyOf(a), keyOf(b)));
  const visible = after ? sorted.filter((r) => desc(after, keyOf(r)) < 0) : sorted;
  return [visible.slice(0, limit + 1), rows.length];
}

/** A unique-index violation, shaped like the one pg raises. */
function uniqueViolation(constraint: string): Error {
  return Object.assign(new Error(`duplicate key value violates unique constraint "${constraint}"`), {
    code: '23505',
    constraint,
  });
}

export class FakeTenantRepository implements Pick<TenantRepository, keyof TenantRepository> {
  constructor(private readonly store: AuthStore) {}

  async count(): Promise<number> {
    return this.store.tenants.size;
  }

  async findById(id: string): Promise<TenantEntity | null> {
    return this.store.tenants.get(id) ?? null;
  }

  async findByName(name: string): Promise<TenantEntity | null> {
    return [...this.store.tenants.values()].find((t) => sameText(t.name, name)) ?? null;
  }

  async insert(name: string): Promise<TenantEntity> {
    if (await this.findByName(name)) throw uniqueViolation('tenants_name_ci');
    return this.store.addTenant(name);
  }
}

export class FakeUserRepository implements Pick<UserRepository, keyof UserRepository> {
  constructor(private readonly store: AuthStore) {}

  async findByEmail(email: string): Promise<UserEntity | null> {
    return [...this.store.users.values()].find((u) => sameText(u.email, email)) ?? null;
  }

  async findById(id: string): Promise<UserEntity | null> {
    return this.store.users.get(id) ?? null;
  }

  async insert(values: Pick<UserEntity, 'email' | 'name' | 'passwordHash'>): Promise<UserEntity> {
    if (await this.findByEmail(values.email)) throw uniqueViolation('users_email_ci');
    return this.store.addUser(values);
  }

  async update(
    id: string,
    changes: Partial<Pick<UserEntity, 'name' | 'passwordHash' | 'disabled' | 'lastLoginAt'>>,
  ): Promise<void> {
    const user = this.store.users.get(id);
    if (user) Object.assign(user, changes, { updatedAt: this.store.now() });
  }

  async bumpTokenGeneration(id: string): Promise<void> {
    const user = this.store.users.get(id);
    if (user) user.tokenGeneration += 1;
  }

  async deleteIfOrphaned(id: string): Promise<void> {
    if (!this.store.memberships.some((m) => m.userId === id)) this.store.users.delete(id);
  }
}

export class FakeMembershipRepository implements Pick<MembershipRepository, keyof MembershipRepository> {
  constructor(private readonly store: AuthStore) {}

  private withUser(m: MembershipEntity): Member {
    return { ...m, user: this.store.users.get(m.userId)! };
  }

  async findMember(tenantId: string, userId: string): Promise<Member | null> {
    const found = this.store.membershipOf(tenantId, userId);
    return found ? this.withUser(found) : null;
  }

  async findAccess(tenantId: string, userId: string): Promise<MemberAccess | null> {
    const found = this.store.membershipOf(tenantId, userId);
    const user = found && this.store.users.get(userId);
    return found && user ? { role: found.role, disabled: user.disabled, tokenGeneration: user.tokenGeneration } : null;
  }

  async listForUser(userId: string): Promise<MembershipEntity[]> {
    return this.store.memberships
      .filter((m) => m.userId === userId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((m) => ({ ...m, tenant: this.store.tenants.get(m.tenantId) }));
  }

  async page(tenantId: string, filter: MemberFilter, limit: number, after?: Keyset): Promise<[Member[], number]> {
    const q = filter.q?.toLowerCase();
    const rows = this.store.memberships
      .filter((m) => m.tenantId === tenantId && (!filter.role || m.role === filter.role))
      .map((m) => this.withUser(m))
      .filter((m) => !q || m.user.email.toLowerCase().includes(q) || m.user.name.toLowerCase().includes(q));
    return keysetPage(rows, (m) => ({ createdAt: m.createdAt, id: m.userId }), limit, after);
  }

  async insert(tenantId: string, userId: string, role: Role): Promise<void> {
    if (this.store.membershipOf(tenantId, userId)) throw uniqueViolation('memberships_pkey');
    this.store.addMembership(tenantId, userId, role);
  }

  async updateRole(tenantId: string, userId: string, role: Role): Promise<void> {
    const found = this.store.membershipOf(tenantId, userId);
    if (found) Object.assign(found, { role, updatedAt: this.store.now() });
  }

  async delete(tenantId: string, userId: string): Promise<void> {
    this.store.memberships = this.store.memberships.filter((m) => !(m.tenantId === tenantId && m.userId === userId));
  }

  async countTenantsOf(userId: string): Promise<number> {
    return this.store.memberships.filter((m) => m.userId === userId).length;
  }

  async countActiveAdmins(tenantId: string): Promise<number> {
    return this.store.memberships.filter(
      (m) => m.tenantId === tenantId && m.role === 'admin' && !this.store.users.get(m.userId)?.disabled,
    ).length;
  }

  withTenantLock<T>(_tenantId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.store.transaction(work);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.store.transaction(work);
  }
}

export class FakeInvitationRepository implements Pick<InvitationRepository, keyof InvitationRepository> {
  constructor(private readonly store: AuthStore) {}

  private all(): InvitationEntity[] {
    return [...this.store.invitations.values()];
  }

  private withTenant(i: InvitationEntity): InvitationEntity {
    return { ...i, tenant: this.store.tenants.get(i.tenantId) };
  }

  async insert(
    values: Pick<InvitationEntity, 'id' | 'tenantId' | 'email' | 'role' | 'invitedBy' | 'createdUserId' | 'expiresAt'>,
  ): Promise<InvitationEntity> {
    if (await this.findPendingInTenantByEmail(values.tenantId, values.email)) {
      throw uniqueViolation('invitations_pending_email');
    }
    const at = this.store.now();
    const row: InvitationEntity = { ...values, status: 'pending', respondedAt: null, createdAt: at, updatedAt: at };
    this.store.invitations.set(row.id, row);
    return { ...row };
  }

  async findInTenant(tenantId: string, id: string): Promise<InvitationEntity | null> {
    const found = this.store.invitations.get(id);
    return found && found.tenantId === tenantId ? { ...found } : null;
  }

  async findPendingInTenantByEmail(tenantId: string, email: string): Promise<InvitationEntity | null> {
    return (
      this.all().find((i) => i.tenantId === tenantId && sameText(i.email, email) && i.status === 'pending') ?? null
    );
  }

  async page(
    tenantId: string,
    status: InvitationStatus | undefined,
    limit: number,
    after?: Keyset,
  ): Promise<[InvitationEntity[], number]> {
    const rows = this.all().filter((i) => i.tenantId === tenantId && (!status || i.status === status));
    return keysetPage(rows, (i) => i, limit, after);
  }

  async listPendingFor(email: string, now: Date): Promise<InvitationEntity[]> {
    return this.all()
      .filter((i) => sameText(i.email, email) && i.status === 'pending' && i.expiresAt > now)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, MAX_RECEIVED_INVITATIONS)
      .map((i) => this.withTenant(i));
  }

  async findForInviteeLocked(_manager: EntityManager, email: string, id: string): Promise<InvitationEntity | null> {
    const found = this.store.invitations.get(id);
    return found && sameText(found.email, email) ? { ...found } : null;
  }

  async listPendingCreatedFor(userId: string): Promise<InvitationEntity[]> {
    return this.all()
      .filter((i) => i.createdUserId === userId && i.status === 'pending')
      .map((i) => ({ ...i }));
  }

  async findWithTenant(id: string): Promise<InvitationEntity | null> {
    const found = this.store.invitations.get(id);
    return found ? this.withTenant(found) : null;
  }

  async answer(id: string, status: InvitationStatus, at: Date): Promise<void> {
    const found = this.store.invitations.get(id);
    if (found) Object.assign(found, { status, respondedAt: at, updatedAt: this.store.now() });
  }
}

export class FakeRefreshTokenRepository implements Pick<RefreshTokenRepository, keyof RefreshTokenRepository> {
  constructor(private readonly store: AuthStore) {}

  async insert(values: Omit<RefreshTokenEntity, 'createdAt' | 'revokedAt'>): Promise<void> {
    this.store.refreshTokens.set(values.id, { ...values, revokedAt: null, createdAt: this.store.now() });
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenEntity | null> {
    const found = [...this.store.refreshTokens.values()].find((r) => r.tokenHash === tokenHash);
    return found ? { ...found } : null;
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const found = this.store.refreshTokens.get(id);
    if (!found || found.revokedAt) return false;
    found.revokedAt = at;
    return true;
  }

  async revokeAllForUser(userId: string, at: Date): Promise<void> {
    for (const row of this.store.refreshTokens.values())
      if (row.userId === userId && !row.revokedAt) row.revokedAt = at;
  }
}

export class FakeApiKeyRepository implements Pick<ApiKeyRepository, keyof ApiKeyRepository> {
  constructor(private readonly store: AuthStore) {}

  async insert(values: Omit<ApiKeyEntity, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyEntity> {
    const row: ApiKeyEntity = { ...values, lastUsedAt: null, revokedAt: null, createdAt: this.store.now() };
    this.store.apiKeys.set(row.id, row);
    return { ...row };
  }

  async findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    const found = [...this.store.apiKeys.values()].find((k) => k.keyHash === keyHash);
    return found ? { ...found } : null;
  }

  async findOne(tenantId: string, id: string): Promise<ApiKeyEntity | null> {
    const found = this.store.apiKeys.get(id);
    return found && found.tenantId === tenantId ? { ...found } : null;
  }

  async page(
    tenantId: string,
    includeRevoked: boolean,
    limit: number,
    after?: Keyset,
  ): Promise<[ApiKeyEntity[], number]> {
    const rows = [...this.store.apiKeys.values()].filter(
      (k) => k.tenantId === tenantId && (includeRevoked || !k.revokedAt),
    );
    return keysetPage(rows, (k) => k, limit, after);
  }

  async revoke(tenantId: string, id: string, at: Date): Promise<void> {
    const found = this.store.apiKeys.get(id);
    if (found && found.tenantId === tenantId && !found.revokedAt) found.revokedAt = at;
  }

  async touch(id: string, at: Date): Promise<void> {
    const found = this.store.apiKeys.get(id);
    if (found) found.lastUsedAt = at;
  }
}

/**
 * Stands in for argon2 where a spec is not about hashing: the same answers (a hash never equals
 * its password; no hash never verifies), without the cost of a real key derivation.
 */
export class FakePasswordService implements Pick<PasswordService, 'hash' | 'verify'> {
  async hash(password: string): Promise<string> {
    return `fake-hash:${password}`;
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    return hash !== null && hash === `fake-hash:${password}`;
  }
}

/** One store with a fake of every auth repository over it. */
export function fakeAuthRepositories(store = new AuthStore()) {
  return {
    store,
    tenants: new FakeTenantRepository(store),
    users: new FakeUserRepository(store),
    memberships: new FakeMembershipRepository(store),
    invitations: new FakeInvitationRepository(store),
    refreshTokens: new FakeRefreshTokenRepository(store),
    apiKeys: new FakeApiKeyRepository(store),
    passwords: new FakePasswordService(),
  };
}
