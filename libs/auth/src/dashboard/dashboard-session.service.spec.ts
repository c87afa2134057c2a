import { JwtService } from '@nestjs/jwt';
import { EnvDto, ForbiddenError, UnauthorizedError } from '@sluice/core';
import { TenantEntity } from '../entities/tenant.entity';
import { UserEntity } from '../entities/user.entity';
import { MembershipRepository } from '../repositories/membership.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { AuthContext } from '../role';
import { asReal, fakeAuthRepositories } from '../testing/auth-repositories.fake';
import { JWT_AUDIENCE, JWT_ISSUER } from '../services/token.service';
import { DASHBOARD_AUDIENCE, DashboardSessionService } from './dashboard-session.service';

describe('DashboardSessionService', () => {
  const SECRET = 'a-secret-only-this-spec-knows-0123456789';
  const jwt = new JwtService({ secret: SECRET });
  let env: EnvDto;
  let fakes: ReturnType<typeof fakeAuthRepositories>;
  let service: DashboardSessionService;
  let ops: TenantEntity;
  let acme: TenantEntity;
  let root: UserEntity;

  const jwtAuth = (user: UserEntity, tenant: TenantEntity): AuthContext => ({
    userId: user.id,
    tenantId: tenant.id,
    role: fakes.store.membershipOf(tenant.id, user.id)?.role ?? 'viewer',
    via: 'jwt',
  });
  const accessToken = (user: UserEntity, extra: Record<string, unknown> = {}, ttl = 900) =>
    jwt.signAsync(
      { sub: user.id, tid: ops.id, typ: 'access', gen: user.tokenGeneration, ...extra },
      { expiresIn: ttl, issuer: JWT_ISSUER, audience: JWT_AUDIENCE, algorithm: 'HS256' },
    );

  beforeEach(() => {
    env = {
      BOOTSTRAP_TENANT: 'Ops',
      DASHBOARD_TENANT: undefined,
      DASHBOARD_SESSION_TTL_SECONDS: 600,
      JWT_ACCESS_TTL_SECONDS: 900,
    } as EnvDto;
    fakes = fakeAuthRepositories();
    service = new DashboardSessionService(
      jwt,
      asReal<MembershipRepository>(fakes.memberships),
      asReal<TenantRepository>(fakes.tenants),
      env,
    );
    ops = fakes.store.addTenant('Ops');
    acme = fakes.store.addTenant('Acme');
    root = fakes.store.addUser({ email: 'root@ops.test' });
    fakes.store.addMembership(ops.id, root.id, 'admin');
  });

  describe('open', () => {
    it('gives an admin of the operator tenant a dashboard token that its cookie check accepts', async () => {
      const before = Date.now();
      const session = await service.open(jwtAuth(root, ops));
      expect(session.maxAgeSeconds).toBe(600);
      expect(session.response.url).toBe('/admin/queues');
      expect(Date.parse(session.response.expiresAt) - before).toBeGreaterThanOrEqual(600_000 - 1000);
      const claims = await jwt.verifyAsync(session.token, { audience: DASHBOARD_AUDIENCE, issuer: JWT_ISSUER });
      expect(claims).toMatchObject({ sub: root.id, tid: ops.id, typ: 'dashboard', gen: 0 });
      await expect(service.fromCookie(session.token)).resolves.toBeUndefined();
    });

    it('refuses an editor of the operator tenant and an admin of any other tenant', async () => {
      const editor = fakes.store.addUser({ email: 'ed@ops.test' });
      fakes.store.addMembership(ops.id, editor.id, 'editor');
      const boss = fakes.store.addUser({ email: 'boss@acme.test' });
      fakes.store.addMembership(acme.id, boss.id, 'admin');
      await expect(service.open(jwtAuth(editor, ops))).rejects.toMatchObject({ code: 'DASHBOARD_FORBIDDEN' });
      await expect(service.open(jwtAuth(boss, acme))).rejects.toBeInstanceOf(ForbiddenError);
    });

    it('follows DASHBOARD_TENANT when it names another tenant', async () => {
      env.DASHBOARD_TENANT = 'acme';
      await expect(service.open(jwtAuth(root, ops))).rejects.toMatchObject({ code: 'DASHBOARD_FORBIDDEN' });
      const boss = fakes.store.addUser({ email: 'boss@acme.test' });
      fakes.store.addMembership(acme.id, boss.id, 'admin');
      expect((await service.open(jwtAuth(boss, acme))).token).toBeTruthy();
    });

    it('refuses an API key, even an admin one', async () => {
      const key: AuthContext = { userId: null, tenantId: ops.id, role: 'admin', via: 'api_key', apiKeyId: 'key_1' };
      await expect(service.open(key)).rejects.toMatchObject({ code: 'DASHBOARD_NEEDS_USER' });
    });
  });

  describe('fromCookie', () => {
    it('closes the session at once when the admin is demoted, disabled or signs out everywhere', async () => {
      const demoted = (await service.open(jwtAuth(root, ops))).token;
      fakes.store.membershipOf(ops.id, root.id)!.role = 'editor';
      await expect(service.fromCookie(demoted)).rejects.toMatchObject({ code: 'DASHBOARD_FORBIDDEN' });
      fakes.store.membershipOf(ops.id, root.id)!.role = 'admin';

      const disabled = (await service.open(jwtAuth(root, ops))).token;
      fakes.store.users.get(root.id)!.disabled = true;
      await expect(service.fromCookie(disabled)).rejects.toMatchObject({ code: 'DASHBOARD_FORBIDDEN' });
      fakes.store.users.get(root.id)!.disabled = false;

      const old = (await service.open(jwtAuth(root, ops))).token;
      await fakes.users.bumpTokenGeneration(root.id);
      await expect(service.fromCookie(old)).rejects.toMatchObject({ code: 'DASHBOARD_SESSION_INVALID' });
    });

    it('refuses an access token in the cookie, a forged one and an expired one', async () => {
      await expect(service.fromCookie(await accessToken(root))).rejects.toMatchObject({
        code: 'DASHBOARD_SESSION_INVALID',
      });
      const forged = await new JwtService({ secret: 'another-secret-0123456789-abcdefghij' }).signAsync(
        { sub: root.id, tid: ops.id, typ: 'dashboard', gen: 0 },
        { expiresIn: 600, issuer: JWT_ISSUER, audience: DASHBOARD_AUDIENCE },
      );
      await expect(service.fromCookie(forged)).rejects.toBeInstanceOf(UnauthorizedError);
      const expired = await jwt.signAsync(
        { sub: root.id, tid: ops.id, typ: 'dashboard', gen: 0, iat: Math.floor(Date.now() / 1000) - 700 },
        { expiresIn: 600, issuer: JWT_ISSUER, audience: DASHBOARD_AUDIENCE },
      );
      await expect(service.fromCookie(expired)).rejects.toMatchObject({ code: 'DASHBOARD_SESSION_EXPIRED' });
    });

    it('refuses a dashboard token that lives longer than a session may', async () => {
      const long = await jwt.signAsync(
        { sub: root.id, tid: ops.id, typ: 'dashboard', gen: 0 },
        { expiresIn: 601, issuer: JWT_ISSUER, audience: DASHBOARD_AUDIENCE },
      );
      await expect(service.fromCookie(long)).rejects.toMatchObject({ code: 'DASHBOARD_SESSION_INVALID' });
    });

    it('does not carry a session over to a new operator tenant', async () => {
      const session = (await service.open(jwtAuth(root, ops))).token;
      fakes.store.addMembership(acme.id, root.id, 'admin');
      env.DASHBOARD_TENANT = 'Acme';
      await expect(service.fromCookie(session)).rejects.toMatchObject({ code: 'DASHBOARD_FORBIDDEN' });
    });
  });

  describe('fromAccessToken', () => {
    it('accepts an access token of an operator admin, with its current generation', async () => {
      await expect(service.fromAccessToken(await accessToken(root))).resolves.toBeUndefined();
      const stale = await accessToken(root);
      await fakes.users.bumpTokenGeneration(root.id);
      await expect(service.fromAccessToken(stale)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    });

    it('refuses a dashboard token, a token without expiry, and an expired one', async () => {
      const session = (await service.open(jwtAuth(root, ops))).token;
      await expect(service.fromAccessToken(session)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
      const forever = await jwt.signAsync(
        { sub: root.id, tid: ops.id, typ: 'access', gen: 0 },
        { issuer: JWT_ISSUER, audience: JWT_AUDIENCE },
      );
      await expect(service.fromAccessToken(forever)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
      const expired = await accessToken(root, { iat: Math.floor(Date.now() / 1000) - 1000 });
      await expect(service.fromAccessToken(expired)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    });

    it('refuses an access token of a user who is not an operator admin', async () => {
      const viewer = fakes.store.addUser({ email: 'vic@ops.test' });
      fakes.store.addMembership(ops.id, viewer.id, 'viewer');
      await expect(service.fromAccessToken(await accessToken(viewer))).rejects.toMatchObject({
        code: 'DASHBOARD_FORBIDDEN',
      });
    });
  });
});
