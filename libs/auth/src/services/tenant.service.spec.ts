import { MembershipRepository } from '../repositories/membership.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { UserRepository } from '../repositories/user.repository';
import { asReal, fakeAuthRepositories } from '../testing/auth-repositories.fake';
import { PasswordService } from './password.service';
import { TenantService } from './tenant.service';

describe('TenantService', () => {
  let fakes: ReturnType<typeof fakeAuthRepositories>;
  let service: TenantService;

  beforeEach(() => {
    fakes = fakeAuthRepositories();
    service = new TenantService(
      asReal<TenantRepository>(fakes.tenants),
      asReal<UserRepository>(fakes.users),
      asReal<MembershipRepository>(fakes.memberships),
      asReal<PasswordService>(fakes.passwords),
    );
  });

  describe('createWithAdmin', () => {
    it('creates the tenant and an admin account with the hashed password', async () => {
      const { tenant, adminUserId } = await service.createWithAdmin('Acme', ' admin@acme.test ', 'admin-passphrase');
      expect(tenant.name).toBe('Acme');
      expect(fakes.store.users.get(adminUserId)).toMatchObject({
        email: 'admin@acme.test',
        name: 'Administrator',
        passwordHash: 'fake-hash:admin-passphrase',
      });
      expect(fakes.store.membershipOf(tenant.id, adminUserId)?.role).toBe('admin');
    });

    it('refuses a name already taken, in any case', async () => {
      await service.createWithAdmin('Acme', 'admin@acme.test', 'admin-passphrase');
      await expect(service.createWithAdmin('ACME', 'other@acme.test', 'x-passphrase')).rejects.toMatchObject({
        code: 'TENANT_EXISTS',
      });
      expect(fakes.store.tenants.size).toBe(1);
      expect(await fakes.users.findByEmail('other@acme.test')).toBeNull();
    });

    it('makes an existing account the admin without changing its password', async () => {
      const first = await service.createWithAdmin('Acme', 'boss@corp.test', 'first-passphrase');
      const second = await service.createWithAdmin('Globex', 'BOSS@corp.test', 'ignored-passphrase');
      expect(second.adminUserId).toBe(first.adminUserId);
      expect(fakes.store.users.get(first.adminUserId)!.passwordHash).toBe('fake-hash:first-passphrase');
      expect(fakes.store.membershipOf(second.tenant.id, first.adminUserId)?.role).toBe('admin');
    });

    it('leaves neither tenant nor account behind when the membership cannot be written', async () => {
      jest.spyOn(fakes.memberships, 'insert').mockRejectedValueOnce(new Error('disk full'));
      await expect(service.createWithAdmin('Acme', 'admin@acme.test', 'admin-passphrase')).rejects.toThrow('disk full');
      expect(fakes.store.tenants.size).toBe(0);
      expect(fakes.store.users.size).toBe(0);
    });
  });

  describe('addUser', () => {
    it('adds a new account with the role, and an existing one as it is', async () => {
      const { tenant: acme } = await service.createWithAdmin('Acme', 'admin@acme.test', 'admin-passphrase');
      const { tenant: globex } = await service.createWithAdmin('Globex', 'boss@globex.test', 'boss-passphrase');
      const erin = await service.addUser(acme.id, 'erin@acme.test', 'erin-passphrase', 'editor', ' Erin ');
      expect(fakes.store.users.get(erin)).toMatchObject({ name: 'Erin', passwordHash: 'fake-hash:erin-passphrase' });
      expect(fakes.store.membershipOf(acme.id, erin)?.role).toBe('editor');

      const again = await service.addUser(globex.id, 'Erin@acme.test', 'other-passphrase', 'viewer');
      expect(again).toBe(erin);
      expect(fakes.store.users.get(erin)!.passwordHash).toBe('fake-hash:erin-passphrase');
      expect(fakes.store.membershipOf(globex.id, erin)?.role).toBe('viewer');
    });

    it('refuses an account that is already a member', async () => {
      const { tenant } = await service.createWithAdmin('Acme', 'admin@acme.test', 'admin-passphrase');
      await expect(service.addUser(tenant.id, 'admin@acme.test', 'x-passphrase', 'viewer')).rejects.toMatchObject({
        code: 'USER_EXISTS',
      });
      expect(fakes.store.membershipOf(tenant.id, [...fakes.store.users.keys()][0])?.role).toBe('admin');
    });
  });

  describe('bootstrap', () => {
    it('creates the first tenant and its admin only when there is no tenant at all', async () => {
      expect(await service.bootstrap('Acme', 'admin@acme.test', 'admin-passphrase')).toBe(true);
      expect(await service.count()).toBe(1);
      expect(await service.bootstrap('Other', 'admin@other.test', 'other-passphrase')).toBe(false);
      expect(await service.count()).toBe(1);
      expect(await fakes.users.findByEmail('admin@other.test')).toBeNull();
    });

    it('answers false when another instance won the race, and rethrows anything else', async () => {
      jest.spyOn(fakes.tenants, 'insert').mockRejectedValueOnce(Object.assign(new Error('dup'), { code: '23505' }));
      expect(await service.bootstrap('Acme', 'admin@acme.test', 'admin-passphrase')).toBe(false);
      // Counted no tenant, but by the name check the other instance had created it.
      jest.spyOn(fakes.tenants, 'count').mockResolvedValueOnce(0);
      fakes.store.addTenant('Acme');
      expect(await service.bootstrap('Acme', 'admin@acme.test', 'admin-passphrase')).toBe(false);
      jest.spyOn(fakes.tenants, 'count').mockResolvedValueOnce(0);
      jest.spyOn(fakes.tenants, 'insert').mockRejectedValueOnce(new Error('connection refused'));
      await expect(service.bootstrap('Initech', 'admin@initech.test', 'admin-passphrase')).rejects.toThrow(
        'connection refused',
      );
    });
  });

  it('finds a tenant by id or by name', async () => {
    const { tenant } = await service.createWithAdmin('Acme', 'admin@acme.test', 'admin-passphrase');
    expect((await service.findByIdOrName(tenant.id))?.id).toBe(tenant.id);
    expect((await service.findByIdOrName('acme'))?.id).toBe(tenant.id);
    expect(await service.findByIdOrName('Globex')).toBeNull();
  });
});
