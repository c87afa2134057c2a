import { JwtService } from '@nestjs/jwt';
import { EnvDto, ForbiddenError, UnauthorizedError } from '@sluice/core';
import { TenantEntity } from '../entities/tenant.entity';
import { UserEntity } from '../entities/user.entity';
import { InvitationRepository } from '../repositories/invitation.repository';
import { MembershipRepository } from '../repositories/membership.repository';
import { RefreshTokenRepository } from '../repositories/refresh-token.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { UserRepository } from '../repositories/user.repository';
import { AuthContext, Role } from '../role';
import { asReal, fakeAuthRepositories } from '../testing/auth-repositories.fake';
import { MemberAccessCache } from '../guards/member-access.cache';
import { AuthService } from './auth.service';
import { InvitationService } from './invitation.service';
import { PasswordService } from './password.service';
import { AccessTokenClaims, JWT_AUDIENCE, TokenService } from './token.service';

describe('AuthService', () => {
  const env = { JWT_ACCESS_TTL_SECONDS: 900, JWT_REFRESH_TTL_SECONDS: 3600 } as EnvDto;
  const jwt = new JwtService({ secret: 'a-secret-only-this-spec-knows-0123456789' });
  let fakes: ReturnType<typeof fakeAuthRepositories>;
  let service: AuthService;
  let invitations: InvitationService;
  let acme: TenantEntity;
  let globex: TenantEntity;
  let ada: UserEntity;

  const account = (email: string, password = 'right-passphrase', extra: Partial<UserEntity> = {}) =>
    fakes.store.addUser({ email, name: email.split('@')[0], passwordHash: `fake-hash:${password}`, ...extra });
  const join = (tenant: TenantEntity, user: UserEntity, role: Role) =>
    fakes.store.addMembership(tenant.id, user.id, role);
  const login = (email: string, password = 'right-passphrase', tenant?: string) =>
    service.login({ email, password, ...(tenant ? { tenant } : {}) });
  const claimsOf = (token: string) => jwt.verify<AccessTokenClaims>(token, { audience: JWT_AUDIENCE });
  const jwtAuth = (user: UserEntity, tenant: TenantEntity, role: Role = 'admin'): AuthContext => ({
    userId: user.id,
    tenantId: tenant.id,
    role,
    via: 'jwt',
  });

  beforeEach(() => {
    fakes = fakeAuthRepositories();
    const passwords = asReal<PasswordService>(fakes.passwords);
    invitations = new InvitationService(
      asReal<InvitationRepository>(fakes.invitations),
      asReal<UserRepository>(fakes.users),
      asReal<MembershipRepository>(fakes.memberships),
      passwords,
    );
    service = new AuthService(
      asReal<UserRepository>(fakes.users),
      asReal<TenantRepository>(fakes.tenants),
      asReal<MembershipRepository>(fakes.memberships),
      asReal<RefreshTokenRepository>(fakes.refreshTokens),
      passwords,
      new TokenService(jwt, asReal<RefreshTokenRepository>(fakes.refreshTokens), env),
      invitations,
      new MemberAccessCache(),
    );
    acme = fakes.store.addTenant('Acme');
    globex = fakes.store.addTenant('Globex');
    ada = account('ada@acme.test');
    join(acme, ada, 'admin');
  });

  describe('login', () => {
    it('signs in to the oldest tenant of the account, with its role there, and records the time', async () => {
      join(globex, ada, 'viewer');
      const tokens = await login('ADA@acme.test');
      expect(tokens).toMatchObject({ tokenType: 'Bearer', tenant: { id: acme.id, name: 'Acme' }, role: 'admin' });
      expect(claimsOf(tokens.accessToken)).toMatchObject({ sub: ada.id, tid: acme.id, typ: 'access', gen: 0 });
      expect(fakes.store.users.get(ada.id)!.lastLoginAt).toBeInstanceOf(Date);
    });

    it('signs in to a tenant named by id or by name in any case', async () => {
      join(globex, ada, 'viewer');
      expect((await login('ada@acme.test', 'right-passphrase', globex.id)).role).toBe('viewer');
      expect((await login('ada@acme.test', 'right-passphrase', 'gLoBeX')).tenant.id).toBe(globex.id);
    });

    it('refuses a tenant the account does not belong to', async () => {
      await expect(login('ada@acme.test', 'right-passphrase', 'Globex')).rejects.toMatchObject({
        code: 'TENANT_FORBIDDEN',
      });
      await expect(login('ada@acme.test', 'right-passphrase', globex.id)).rejects.toBeInstanceOf(ForbiddenError);
    });

    it('gives the same answer to a wrong password, an unknown e-mail and a disabled account', async () => {
      join(acme, account('off@acme.test', 'right-passphrase', { disabled: true }), 'editor');
      const verify = jest.spyOn(fakes.passwords, 'verify');
      const answers = await Promise.all(
        [login('ada@acme.test', 'wrong-passphrase'), login('nobody@acme.test'), login('off@acme.test')].map((p) =>
          p.then(
            () => null,
            (e: UnauthorizedError) => ({ type: e.constructor.name, code: e.code, message: e.message }),
          ),
        ),
      );
      expect(answers[0]).toEqual({
        type: 'UnauthorizedError',
        code: 'INVALID_CREDENTIALS',
        message: expect.any(String),
      });
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
      // An unknown e-mail still costs a password check.
      expect(verify).toHaveBeenCalledWith(null, 'right-passphrase');
      expect(fakes.store.refreshTokens.size).toBe(0);
    });

    it('refuses an account that belongs to no tenant', async () => {
      account('lonely@acme.test');
      await expect(login('lonely@acme.test')).rejects.toMatchObject({ code: 'NO_TENANT' });
    });

    it('accepts on the first sign-in the invitation that created the account', async () => {
      await invitations.invite(jwtAuth(ada, acme), {
        email: 'new@acme.test',
        password: 'given-passphrase',
        role: 'editor',
      });
      const tokens = await login('new@acme.test', 'given-passphrase');
      expect(tokens).toMatchObject({ tenant: { id: acme.id }, role: 'editor' });
    });
  });

  describe('refresh', () => {
    it('trades a refresh token for a new pair, once', async () => {
      const first = await login('ada@acme.test');
      const second = await service.refresh({ refreshToken: first.refreshToken });
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(claimsOf(second.accessToken)).toMatchObject({ sub: ada.id, tid: acme.id });
      await expect(service.refresh({ refreshToken: first.refreshToken })).rejects.toMatchObject({
        code: 'REFRESH_TOKEN_INVALID',
      });
    });

    it('ends every session of the account when a used refresh token comes back (a replay)', async () => {
      const first = await login('ada@acme.test');
      const other = await login('ada@acme.test');
      const rotated = await service.refresh({ refreshToken: first.refreshToken });
      await expect(service.refresh({ refreshToken: first.refreshToken })).rejects.toBeInstanceOf(UnauthorizedError);
      for (const token of [other.refreshToken, rotated.refreshToken]) {
        await expect(service.refresh({ refreshToken: token })).rejects.toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
      }
    });

    it('refuses an unknown or expired token', async () => {
      await expect(service.refresh({ refreshToken: 'rt_unknown' })).rejects.toMatchObject({
        code: 'REFRESH_TOKEN_INVALID',
      });
      const tokens = await login('ada@acme.test');
      for (const row of fakes.store.refreshTokens.values()) row.expiresAt = new Date(Date.now() - 1);
      await expect(service.refresh({ refreshToken: tokens.refreshToken })).rejects.toMatchObject({
        code: 'REFRESH_TOKEN_INVALID',
      });
    });

    it('refuses an account that was disabled or removed from the tenant since', async () => {
      const erin = account('erin@acme.test');
      join(acme, erin, 'editor');
      const ofAda = await login('ada@acme.test');
      const ofErin = await login('erin@acme.test');
      fakes.store.users.get(ada.id)!.disabled = true;
      await fakes.memberships.delete(acme.id, erin.id);
      await expect(service.refresh({ refreshToken: ofAda.refreshToken })).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(service.refresh({ refreshToken: ofErin.refreshToken })).rejects.toBeInstanceOf(UnauthorizedError);
    });

    it('carries the role the account has now, not the one it had at sign-in', async () => {
      const tokens = await login('ada@acme.test');
      const erin = account('erin@acme.test');
      join(acme, erin, 'admin');
      await fakes.memberships.updateRole(acme.id, ada.id, 'viewer');
      expect((await service.refresh({ refreshToken: tokens.refreshToken })).role).toBe('viewer');
    });
  });

  describe('logout', () => {
    it('revokes the refresh token, and ignores an unknown one', async () => {
      const tokens = await login('ada@acme.test');
      await service.logout({ refreshToken: tokens.refreshToken });
      await expect(service.refresh({ refreshToken: tokens.refreshToken })).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(service.logout({ refreshToken: 'rt_unknown' })).resolves.toBeUndefined();
    });

    it('signs out everywhere: a new token generation and no refresh token left', async () => {
      const a = await login('ada@acme.test');
      const b = await login('ada@acme.test');
      await service.logoutEverywhere(jwtAuth(ada, acme));
      expect(fakes.store.users.get(ada.id)!.tokenGeneration).toBe(1);
      for (const t of [a, b]) await expect(service.refresh({ refreshToken: t.refreshToken })).rejects.toThrow();
      expect((await login('ada@acme.test')).accessToken).toBeTruthy();
    });

    it('refuses to sign out everywhere for an API key', async () => {
      const key: AuthContext = { userId: null, tenantId: acme.id, role: 'admin', via: 'api_key', apiKeyId: 'key_1' };
      await expect(service.logoutEverywhere(key)).rejects.toMatchObject({ code: 'NEEDS_USER' });
    });
  });

  describe('me', () => {
    it('shows the account, its role here and every tenant it belongs to', async () => {
      join(globex, ada, 'viewer');
      const me = await service.me(jwtAuth(ada, acme));
      expect(me).toEqual({
        user: { id: ada.id, email: 'ada@acme.test', name: 'ada' },
        tenant: { id: acme.id, name: 'Acme' },
        role: 'admin',
        via: 'jwt',
        tenants: [
          { id: acme.id, name: 'Acme', role: 'admin' },
          { id: globex.id, name: 'Globex', role: 'viewer' },
        ],
      });
    });

    it('shows no person for an API key', async () => {
      const me = await service.me({ userId: null, tenantId: acme.id, role: 'editor', via: 'api_key' });
      expect(me).toEqual({
        user: null,
        tenant: { id: acme.id, name: 'Acme' },
        role: 'editor',
        via: 'api_key',
        tenants: [],
      });
    });

    it('refuses a token whose membership or tenant is gone', async () => {
      await expect(service.me(jwtAuth(ada, globex))).rejects.toMatchObject({ code: 'MEMBERSHIP_GONE' });
      await expect(service.me({ ...jwtAuth(ada, acme), tenantId: 'ten_gone' })).rejects.toMatchObject({
        code: 'TENANT_GONE',
      });
    });
  });
});
