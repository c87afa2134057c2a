import { ConflictError, NotFoundError } from '@sluice/core';
import { TenantEntity } from '../entities/tenant.entity';
import { UserEntity } from '../entities/user.entity';
import { MembershipRepository } from '../repositories/membership.repository';
import { RefreshTokenRepository } from '../repositories/refresh-token.repository';
import { UserRepository } from '../repositories/user.repository';
import { AuthContext, Role } from '../role';
import { asReal, fakeAuthRepositories } from '../testing/auth-repositories.fake';
import { PasswordService } from './password.service';
import { MemberAccessCache } from '../guards/member-access.cache';
import { UserService } from './user.service';

describe('UserService', () => {
  let fakes: ReturnType<typeof fakeAuthRepositories>;
  let service: UserService;
  let acme: TenantEntity;
  let globex: TenantEntity;
  let admin: UserEntity;
  let auth: AuthContext;

  const member = (tenant: TenantEntity, email: string, role: Role, extra: Partial<UserEntity> = {}) => {
    const user = fakes.store.addUser({ email, name: email.split('@')[0], passwordHash: 'fake-hash:old', ...extra });
    fakes.store.addMembership(tenant.id, user.id, role);
    return user;
  };
  const roleOf = (tenant: TenantEntity, user: UserEntity) => fakes.store.membershipOf(tenant.id, user.id)?.role;
  const refreshToken = (user: UserEntity) =>
    fakes.refreshTokens.insert({
      id: `rt-${user.id}-${Math.random()}`,
      userId: user.id,
      tenantId: acme.id,
      tokenHash: `hash-${Math.random()}`,
      expiresAt: new Date(Date.now() + 60_000),
    });

  beforeEach(() => {
    fakes = fakeAuthRepositories();
    service = new UserService(
      asReal<UserRepository>(fakes.users),
      asReal<MembershipRepository>(fakes.memberships),
      asReal<RefreshTokenRepository>(fakes.refreshTokens),
      asReal<PasswordService>(fakes.passwords),
      new MemberAccessCache(),
    );
    acme = fakes.store.addTenant('Acme');
    globex = fakes.store.addTenant('Globex');
    admin = member(acme, 'admin@acme.test', 'admin');
    auth = { userId: admin.id, tenantId: acme.id, role: 'admin', via: 'jwt' };
  });

  describe('list and get', () => {
    it("shows the members of the caller's tenant only, filtered by role or text", async () => {
      const erin = member(acme, 'erin@acme.test', 'editor');
      member(acme, 'vic@acme.test', 'viewer');
      member(globex, 'boss@globex.test', 'admin');

      const all = await service.list(auth, {});
      expect(all.data.map((u) => u.email).sort()).toEqual(['admin@acme.test', 'erin@acme.test', 'vic@acme.test']);
      expect(all.pagination.total).toBe(3);
      expect((await service.list(auth, { role: 'editor' })).data.map((u) => u.id)).toEqual([erin.id]);
      expect((await service.list(auth, { q: 'VIC' })).data.map((u) => u.email)).toEqual(['vic@acme.test']);
      expect((await service.list(auth, { q: 'globex' })).data).toEqual([]);
    });

    it("answers 404 for an account of another tenant, and shows no password hash of one's own", async () => {
      const boss = member(globex, 'boss@globex.test', 'admin');
      await expect(service.get(auth, boss.id)).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
      const mine = await service.get(auth, admin.id);
      expect(mine).toMatchObject({ id: admin.id, email: 'admin@acme.test', role: 'admin', disabled: false });
      expect(JSON.stringify(mine)).not.toContain('fake-hash');
    });
  });

  describe('update', () => {
    it("changes a member's role, name, and password", async () => {
      const erin = member(acme, 'erin@acme.test', 'editor');
      const updated = await service.update(auth, erin.id, {
        role: 'viewer',
        name: '  Erin  ',
        password: 'new-passphrase',
      });
      expect(updated).toMatchObject({ role: 'viewer', name: 'Erin' });
      expect(fakes.store.users.get(erin.id)!.passwordHash).toBe('fake-hash:new-passphrase');
    });

    it('ends every session of the account when its password changes or it is disabled', async () => {
      const erin = member(acme, 'erin@acme.test', 'editor');
      const vic = member(acme, 'vic@acme.test', 'viewer');
      await refreshToken(erin);
      await refreshToken(vic);

      await service.update(auth, erin.id, { password: 'new-passphrase' });
      await service.update(auth, vic.id, { disabled: true });

      for (const user of [erin, vic]) {
        expect(fakes.store.users.get(user.id)!.tokenGeneration).toBe(1);
        const tokens = [...fakes.store.refreshTokens.values()].filter((r) => r.userId === user.id);
        expect(tokens.every((r) => r.revokedAt !== null)).toBe(true);
      }
    });

    it('leaves sessions alone on a role or name change', async () => {
      const erin = member(acme, 'erin@acme.test', 'editor');
      await refreshToken(erin);
      await service.update(auth, erin.id, { role: 'viewer', name: 'E' });
      expect(fakes.store.users.get(erin.id)!.tokenGeneration).toBe(0);
      expect([...fakes.store.refreshTokens.values()][0].revokedAt).toBeNull();
    });

    it('refuses to demote or disable the last active admin, and changes nothing', async () => {
      await expect(service.update(auth, admin.id, { role: 'editor' })).rejects.toMatchObject({ code: 'LAST_ADMIN' });
      await expect(service.update(auth, admin.id, { disabled: true })).rejects.toBeInstanceOf(ConflictError);
      expect(roleOf(acme, admin)).toBe('admin');
      expect(fakes.store.users.get(admin.id)!.disabled).toBe(false);
      expect(fakes.store.users.get(admin.id)!.tokenGeneration).toBe(0);
    });

    it('does not count a disabled admin, nor an admin of another tenant, as the other admin', async () => {
      member(acme, 'old@acme.test', 'admin', { disabled: true });
      member(globex, 'boss@globex.test', 'admin');
      await expect(service.update(auth, admin.id, { role: 'viewer' })).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    });

    it('lets an admin step down when another active admin remains', async () => {
      member(acme, 'ada@acme.test', 'admin');
      expect((await service.update(auth, admin.id, { role: 'editor' })).role).toBe('editor');
    });

    it('refuses to change the name, password or disabled state of an account shared with another tenant, but not its role here', async () => {
      const shared = member(acme, 'sam@acme.test', 'editor');
      fakes.store.addMembership(globex.id, shared.id, 'admin');
      for (const dto of [{ name: 'x' }, { password: 'another-passphrase' }, { disabled: true }]) {
        await expect(service.update(auth, shared.id, dto)).rejects.toMatchObject({ code: 'ACCOUNT_SHARED' });
      }
      expect(fakes.store.users.get(shared.id)).toMatchObject({
        name: 'sam',
        passwordHash: 'fake-hash:old',
        disabled: false,
      });
      expect((await service.update(auth, shared.id, { role: 'viewer' })).role).toBe('viewer');
      expect(roleOf(globex, shared)).toBe('admin');
    });

    it('answers 404 for a member of another tenant and changes nothing there', async () => {
      const boss = member(globex, 'boss@globex.test', 'admin');
      await expect(service.update(auth, boss.id, { role: 'viewer', disabled: true })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      expect(roleOf(globex, boss)).toBe('admin');
      expect(fakes.store.users.get(boss.id)!.disabled).toBe(false);
    });
  });

  describe('remove', () => {
    it('removes the membership, and the account when it belongs to no other tenant', async () => {
      const erin = member(acme, 'erin@acme.test', 'editor');
      await service.remove(auth, erin.id);
      expect(roleOf(acme, erin)).toBeUndefined();
      expect(fakes.store.users.has(erin.id)).toBe(false);
    });

    it('keeps an account that still belongs to another tenant', async () => {
      const shared = member(acme, 'sam@acme.test', 'viewer');
      fakes.store.addMembership(globex.id, shared.id, 'editor');
      await service.remove(auth, shared.id);
      expect(roleOf(acme, shared)).toBeUndefined();
      expect(roleOf(globex, shared)).toBe('editor');
      expect(fakes.store.users.has(shared.id)).toBe(true);
    });

    it('refuses to remove the last active admin', async () => {
      await expect(service.remove(auth, admin.id)).rejects.toMatchObject({ code: 'LAST_ADMIN' });
      expect(roleOf(acme, admin)).toBe('admin');
      expect(fakes.store.users.has(admin.id)).toBe(true);
    });

    it('removes a disabled admin while only one active admin remains (a disabled admin keeps no tenant manageable)', async () => {
      const old = member(acme, 'old@acme.test', 'admin', { disabled: true });
      await service.remove(auth, old.id);
      expect(roleOf(acme, old)).toBeUndefined();
    });

    it('answers 404 for a member of another tenant', async () => {
      const boss = member(globex, 'boss@globex.test', 'admin');
      member(globex, 'ada@globex.test', 'admin');
      await expect(service.remove(auth, boss.id)).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
      expect(roleOf(globex, boss)).toBe('admin');
    });
  });
});
