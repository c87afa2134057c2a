import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { QUEUE_DASHBOARD_PATH, EnvDto, ForbiddenError, UnauthorizedError } from '@sluice/core';
import { DashboardSessionResponseDto } from '../dto/dashboard-session.dto';
import { MembershipRepository } from '../repositories/membership.repository';
import { TenantRepository } from '../repositories/tenant.repository';
import { AuthContext } from '../role';
import { AccessTokenClaims, hasBoundedLifetime, JWT_AUDIENCE, JWT_ISSUER } from '../services/token.service';

/**
 * Claims of a dashboard token. Its own audience and `typ` keep it apart from access tokens in
 * both directions: the API refuses it, and the dashboard refuses an access token in its cookie.
 */
export interface DashboardTokenClaims {
  sub: string;
  tid: string;
  typ: 'dashboard';
  /** The user's token generation: signing out everywhere also closes dashboard sessions. */
  gen: number;
  iat?: number;
  exp?: number;
}

export const DASHBOARD_AUDIENCE = 'sluice-dashboard';
export const DASHBOARD_COOKIE = 'sluice_dashboard';

const DASHBOARD_FORBIDDEN = () =>
  new ForbiddenError(
    'DASHBOARD_FORBIDDEN',
    'The queue dashboard shows the jobs of every tenant: only admins of the operator tenant (named by DASHBOARD_TENANT) may open it',
  );

const INVALID = {
  cookie: () => new UnauthorizedError('DASHBOARD_SESSION_INVALID', 'The dashboard session cookie is not valid'),
  bearer: () => new UnauthorizedError('TOKEN_INVALID', 'Access token is missing or invalid'),
};
const EXPIRED = {
  cookie: () => new UnauthorizedError('DASHBOARD_SESSION_EXPIRED', 'The dashboard session has expired; open a new one'),
  bearer: () => new UnauthorizedError('TOKEN_EXPIRED', 'Access token has expired; refresh it or sign in again'),
};

/** A signed dashboard token with what the caller is told about it. */
export interface DashboardSession {
  token: string;
  maxAgeSeconds: number;
  response: DashboardSessionResponseDto;
}

/** Issues and checks the credentials of the queue dashboard, which sits outside the API's guard. */
@Injectable()
export class DashboardSessionService {
  constructor(
    private readonly jwt: JwtService,
    private readonly memberships: MembershipRepository,
    private readonly tenants: TenantRepository,
    private readonly env: EnvDto,
  ) {}

  async open(auth: AuthContext): Promise<DashboardSession> {
    // An API key acts for a tenant, not a person; the dashboard re-checks a person's membership.
    if (auth.via !== 'jwt' || !auth.userId) {
      throw new ForbiddenError(
        'DASHBOARD_NEEDS_USER',
        'Open the queue dashboard with a user access token (POST /api/v1/auth/login), not an API key',
      );
    }
    const { tenantId, gen } = await this.requireOperatorAdmin(auth.userId);
    const claims: DashboardTokenClaims = { sub: auth.userId, tid: tenantId, typ: 'dashboard', gen };
    const ttl = this.env.DASHBOARD_SESSION_TTL_SECONDS;
    const token = await this.jwt.signAsync(claims, {
      expiresIn: ttl,
      issuer: JWT_ISSUER,
      audience: DASHBOARD_AUDIENCE,
      algorithm: 'HS256',
    });
    return {
      token,
      maxAgeSeconds: ttl,
      response: { url: QUEUE_DASHBOARD_PATH, expiresAt: new Date(Date.now() + ttl * 1000).toISOString() },
    };
  }

  /** Checks the dashboard cookie, then that its user is still an admin of the operator tenant. */
  async fromCookie(token: string): Promise<void> {
    const claims = await this.verify<DashboardTokenClaims>(token, 'cookie');
    if (claims.typ !== 'dashboard' || !claims.sub || !claims.tid) throw INVALID.cookie();
    if (!hasBoundedLifetime(claims, this.env.DASHBOARD_SESSION_TTL_SECONDS)) throw INVALID.cookie();
    const { tenantId, gen } = await this.requireOperatorAdmin(claims.sub);
    if (claims.gen !== gen) throw INVALID.cookie();
    // A session opened for an earlier DASHBOARD_TENANT does not carry over.
    if (tenantId !== claims.tid) throw DASHBOARD_FORBIDDEN();
  }

  /** For curl and scripts: an API access token of an admin of the operator tenant. */
  async fromAccessToken(token: string): Promise<void> {
    const claims = await this.verify<AccessTokenClaims>(token, 'bearer');
    if (claims.typ !== 'access' || !claims.sub) throw INVALID.bearer();
    if (!hasBoundedLifetime(claims, this.env.JWT_ACCESS_TTL_SECONDS)) throw INVALID.bearer();
    const { gen } = await this.requireOperatorAdmin(claims.sub);
    if (claims.gen !== gen) throw INVALID.bearer();
  }

  /** Read on every request, so a demoted or disabled admin loses the dashboard at once. */
  private async requireOperatorAdmin(userId: string): Promise<{ tenantId: string; gen: number }> {
    const tenant = await this.tenants.findByName(this.env.DASHBOARD_TENANT ?? this.env.BOOTSTRAP_TENANT);
    const member = tenant && (await this.memberships.findMember(tenant.id, userId));
    if (!tenant || !member || member.role !== 'admin' || member.user.disabled) throw DASHBOARD_FORBIDDEN();
    return { tenantId: tenant.id, gen: member.user.tokenGeneration };
  }

  private async verify<T extends object>(token: string, via: 'cookie' | 'bearer'): Promise<T> {
    const audience = via === 'cookie' ? DASHBOARD_AUDIENCE : JWT_AUDIENCE;
    try {
      return await this.jwt.verifyAsync<T>(token, { issuer: JWT_ISSUER, audience, algorithms: ['HS256'] });
    } catch (error) {
      throw (error as { name?: string }).name === 'TokenExpiredError' ? EXPIRED[via]() : INVALID[via]();
    }
  }
}
