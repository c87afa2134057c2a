import { ConflictError, ForbiddenError, NotFoundError } from '@sluice/core';
import { TenantEntity } from '../entities/tenant.entity';
import { UserEntity } from '../entities/user.entity';
import { InvitationRepository } from '../repositories/invitation.repository';
import { MembershipRepository } from '../repositories/membership.repository';
import { UserRepository } from '../repositories/user.repository';
import { AuthContext, Role } from '../role';
import { asReal, fakeAuthRepositories } from '../testing/auth-repositories.fake';
import { INVITATION_TTL_MS, InvitationService } from './invitation.service';
import { PasswordService } from './password.service';

describe('InvitationService', () => {
  let fakes: ReturnType<typeof fakeAuthRepositories>;
  let service: InvitationService;
  let acme: TenantEntity;
  let globex: TenantEntity;
  let acmeAdmin: AuthContext;
  let globexAdmin: AuthContext;

  const member = (tenant: TenantEntity, email: string, role: Role): UserEntity => {
    const user = fakes.store.addUser({ email, passwordHash: 'fake-hash:own-passphrase' });
    fakes.store.addMembership(tenant.id, user.id, role);
    return user;
  };
  const signedIn = (user: UserEntity, tenant: TenantEntity): AuthContext => ({
    userId: user.id,
    tenantId: tenant.id,
    role: fakes.store.membershipOf(tenant.id, user.id)?.role ?? 'viewer',
    via: 'jwt',
  });
  const invite = (auth: AuthContext, email: string, role: Role = 'editor') =>
    service.invite(auth, { email, password: 'given-passphrase', role, name: ' New One ' });

  beforeEach(() => {
    fakes = fakeAuthRepositories();
    service = new InvitationService(
      asReal<InvitationRepository>(fakes.invitations),
      asReal<UserRepository>(fakes.users),
      asReal<MembershipRepository>(fakes.memberships),
      asReal<PasswordService>(fakes.passwords),
    );
    acme = fakes.store.addTenant('Acme');
    globex = fakes.store.addTenant('Globex');
    acmeAdmin = signedIn(member(acme, 'admin@acme.test', 'admin'), acme);
    globexAdmin = signedIn(member(globex, 'boss@globex.test', 'admin'), globex);
  });

  describe('invite', () => {
    it('creates the account of a new e-mail with the given password, and a pending invitation for 14 days', async () => {
      const before = Date.now();
      const invitation = await invite(acmeAdmin, ' erin@acme.test ', 'viewer');
      expect(invitation).toMatchObject({
        email: 'erin@acme.test',
        role: 'viewer',
        status: 'pending',
        respondedAt: null,
      });
      const expires = Date.parse(invitation.expiresAt) - before;
      expect(expires).toBeGreaterThanOrEqual(INVITATION_TTL_MS - 1000);
      expect(expires).toBeLessThanOrEqual(INVITATION_TTL_MS + 1000);

      const account = (await fakes.users.findByEmail('erin@acme.test'))!;
      expect(account).toMatchObject({ name: 'New One', passwordHash: 'fake-hash:given-passphrase' });
      // Not a member until the invitation is accepted.
      expect(fakes.store.membershipOf(acme.id, account.id)).toBeUndefined();
    });

    it('invites an existing account of another tenant without touching its password, and answers the same', async () => {
      const boss = fakes.store.users.get(globexAdmin.userId!)!;
      const invitation = await invite(acmeAdmin, 'BOSS@globex.test');
      expect(Object.keys(invitation).sort()).toEqual(
        ['createdAt', 'email', 'expiresAt', 'id', 'respondedAt', 'role', 'status'].sort(),
      );
      expect(fakes.store.users.get(boss.id)!.passwordHash).toBe('fake-hash:own-passphrase');
      expect(fakes.store.users.size).toBe(2);
      expect(fakes.store.invitations.get(invitation.id)!.createdUserId).toBeNull();
    });

    it('refuses an e-mail that is already a member of this tenant, in any case', async () => {
      await expect(invite(acmeAdmin, 'ADMIN@acme.test')).rejects.toMatchObject({ code: 'USER_EXISTS' });
      expect(fakes.store.invitations.size).toBe(0);
    });

    it('refuses a second pending invitation of the same e-mail to the same tenant, but not to another tenant', async () => {
      await invite(acmeAdmin, 'erin@acme.test');
      await expect(invite(acmeAdmin, 'Erin@Acme.test')).rejects.toMatchObject({ code: 'INVITATION_PENDING' });
      await expect(invite(globexAdmin, 'erin@acme.test')).resolves.toMatchObject({ status: 'pending' });
    });

    it('answers INVITATION_PENDING when a concurrent invitation won the unique index', async () => {
      jest.spyOn(fakes.invitations, 'findPendingInTenantByEmail').mockResolvedValueOnce(null);
      await invite(acmeAdmin, 'erin@acme.test');
      jest.spyOn(fakes.invitations, 'findPendingInTenantByEmail').mockResolvedValueOnce(null);
      await expect(invite(acmeAdmin, 'erin@acme.test')).rejects.toBeInstanceOf(ConflictError);
    });

    it('invites the account as an existing one when another tenant created it a moment before', async () => {
      // The first look finds no account; by the insert, another tenant's invitation has created it.
      const realFind = fakes.users.findByEmail.bind(fakes.users);
      jest.spyOn(fakes.users, 'findByEmail').mockImplementationOnce(async (email) => {
        fakes.store.addUser({ email, passwordHash: 'fake-hash:theirs' });
        return null;
      });
      const invitation = await invite(acmeAdmin, 'erin@acme.test');
      const account = (await realFind('erin@acme.test'))!;
      expect(account.passwordHash).toBe('fake-hash:theirs');
      expect(fakes.store.invitations.get(invitation.id)).toMatchObject({ createdUserId: null, status: 'pending' });
      expect([...fakes.store.users.values()].filter((u) => u.email === 'erin@acme.test')).toHaveLength(1);
    });
  });

  describe('acceptOnFirstSignIn', () => {
    it('makes an account the invitation created a member on its first sign-in', async () => {
      const invitation = await invite(acmeAdmin, 'erin@acme.test', 'viewer');
      const erin = (await fakes.users.findByEmail('erin@acme.test'))!;
      await service.acceptOnFirstSignIn(erin.id);
      expect(fakes.store.membershipOf(acme.id, erin.id)?.role).toBe('viewer');
      expect(fakes.store.invitations.get(invitation.id)!.status).toBe('accepted');
    });

    it('leaves invitations of accounts that already existed waiting for an answer', async () => {
      const invitation = await invite(acmeAdmin, 'boss@globex.test');
      await service.acceptOnFirstSignIn(globexAdmin.userId!);
      expect(fakes.store.membershipOf(acme.id, globexAdmin.userId!)).toBeUndefined();
      expect(fakes.store.invitations.get(invitation.id)!.status).toBe('pending');
    });
  });

  describe('accept and decline', () => {
    it('joins the tenant with the invited role on accept', async () => {
      const invitation = await invite(acmeAdmin, 'boss@globex.test', 'editor');
      const answered = await service.accept(globexAdmin, invitation.id);
      expect(answered).toMatchObject({ id: invitation.id, status: 'accepted', tenant: { id: acme.id, name: 'Acme' } });
      expect(fakes.store.membershipOf(acme.id, globexAdmin.userId!)?.role).toBe('editor');
    });

    it('does not join on decline', async () => {
      const invitation = await invite(acmeAdmin, 'boss@globex.test');
      expect((await service.decline(globexAdmin, invitation.id)).status).toBe('declined');
      expect(fakes.store.membershipOf(acme.id, globexAdmin.userId!)).toBeUndefined();
    });

    it('refuses an invitation already answered, and an expired one', async () => {
      const used = await invite(acmeAdmin, 'boss@globex.test');
      await service.decline(globexAdmin, used.id);
      await expect(service.accept(globexAdmin, used.id)).rejects.toMatchObject({ code: 'INVITATION_NOT_PENDING' });

      const old = await invite(acmeAdmin, 'boss@globex.test');
      fakes.store.invitations.get(old.id)!.expiresAt = new Date(Date.now() - 1);
      await expect(service.accept(globexAdmin, old.id)).rejects.toMatchObject({ code: 'INVITATION_EXPIRED' });
      expect(fakes.store.membershipOf(acme.id, globexAdmin.userId!)).toBeUndefined();
      expect(fakes.store.invitations.get(old.id)!.status).toBe('pending');
    });

    it("answers 404 to someone else's invitation", async () => {
      const invitation = await invite(acmeAdmin, 'erin@acme.test');
      await expect(service.accept(globexAdmin, invitation.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.decline(globexAdmin, invitation.id)).rejects.toMatchObject({ code: 'INVITATION_NOT_FOUND' });
      expect(fakes.store.invitations.get(invitation.id)!.status).toBe('pending');
    });

    it('refuses an API key: invitations are answered by a person', async () => {
      const invitation = await invite(acmeAdmin, 'boss@globex.test');
      const key: AuthContext = { userId: null, tenantId: globex.id, role: 'admin', via: 'api_key' };
      await expect(service.accept(key, invitation.id)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(service.listReceived(key)).rejects.toMatchObject({ code: 'NEEDS_USER' });
    });
  });

  describe('listReceived', () => {
    it("lists the caller's pending, unexpired invitations from every tenant, with the tenant's name", async () => {
      const third = fakes.store.addTenant('Initech');
      const thirdAdmin = signedIn(member(third, 'boss@initech.test', 'admin'), third);
      const fromAcme = await invite(acmeAdmin, 'boss@globex.test');
      const fromInitech = await invite(thirdAdmin, 'Boss@Globex.test');
      const old = fakes.store.addTenant('Old');
      const expired = await invite(signedIn(member(old, 'boss@old.test', 'admin'), old), 'boss@globex.test');
      fakes.store.invitations.get(expired.id)!.expiresAt = new Date(Date.now() - 1);

      const received = await service.listReceived(globexAdmin);
      expect(received.data.map((i) => [i.id, i.tenant.name])).toEqual([
        [fromInitech.id, 'Initech'],
        [fromAcme.id, 'Acme'],
      ]);
    });
  });

  describe('revoke and list', () => {
    it('withdraws a pending invitation and deletes the account it created, which never signed in', async () => {
      const invitation = await invite(acmeAdmin, 'erin@acme.test');
      const erin = (await fakes.users.findByEmail('erin@acme.test'))!;
      expect((await service.revoke(acmeAdmin, invitation.id)).status).toBe('revoked');
      expect(fakes.store.users.has(erin.id)).toBe(false);
    });

    it('keeps an account that belongs to a tenant', async () => {
      const invitation = await invite(acmeAdmin, 'boss@globex.test');
      await service.revoke(acmeAdmin, invitation.id);
      expect(fakes.store.users.has(globexAdmin.userId!)).toBe(true);
    });

    it('refuses an answered invitation, and answers 404 to another tenant', async () => {
      const invitation = await invite(acmeAdmin, 'erin@acme.test');
      await expect(service.revoke(globexAdmin, invitation.id)).rejects.toMatchObject({ code: 'INVITATION_NOT_FOUND' });
      const erin = (await fakes.users.findByEmail('erin@acme.test'))!;
      await service.acceptOnFirstSignIn(erin.id);
      await expect(service.revoke(acmeAdmin, invitation.id)).rejects.toMatchObject({ code: 'INVITATION_NOT_PENDING' });
      expect(fakes.store.membershipOf(acme.id, erin.id)).toBeDefined();
    });

    it("lists the tenant's own invitations, by status", async () => {
      const a = await invite(acmeAdmin, 'a@acme.test');
      const b = await invite(acmeAdmin, 'b@acme.test');
      await invite(globexAdmin, 'c@globex.test');
      await service.revoke(acmeAdmin, a.id);

      expect((await service.list(acmeAdmin, {})).data.map((i) => i.id)).toEqual([b.id, a.id]);
      expect((await service.list(acmeAdmin, { status: 'revoked' })).data.map((i) => i.id)).toEqual([a.id]);
      expect((await service.list(acmeAdmin, { status: 'pending' })).pagination.total).toBe(1);
    });
  });
});
