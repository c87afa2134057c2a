import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthorizedError, EnvDto, IS_PUBLIC_KEY, SCRAPE_TOKEN_KEY } from '@sluice/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { ROLES_KEY } from '../decorators/authenticated.decorator';
import { AuthContext, Role } from '../role';
import { API_KEY_PREFIX } from '../services/api-key.service';
import { JwtStrategy } from './jwt.strategy';
import { RequestAuthenticator } from './request-authenticator';
import { requestedTenant } from './tenant-header';

const ADMINS: Role[] = ['admin'];

export type AuthenticatedRequest = Request & { user?: AuthContext };

/**
 * The one global guard: public routes pass; every other route needs a JWT or an API key and a
 * role the route allows. Routes with neither marker are refused at start (RouteAuditor).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtStrategy,
    private readonly authenticator: RequestAuthenticator,
    private readonly env: EnvDto,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const scrape = this.reflector.getAllAndOverride<boolean>(SCRAPE_TOKEN_KEY, targets);
    const roles = scrape ? ADMINS : this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!roles) throw new ForbiddenError('ROUTE_NOT_ANNOTATED', 'This route has no access rule');

    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (scrape && this.isScrapeToken(req)) return true;
    const apiKey = this.apiKeyOf(req);
    if (apiKey) {
      req.user = await this.authenticator.fromApiKey(apiKey, requestedTenant(req));
    } else if (!req.header('authorization')) {
      throw new UnauthorizedError('UNAUTHORIZED', 'Send a bearer token (POST /api/v1/auth/login) or an API key');
    } else {
      req.user = await this.jwt.authenticate(req);
    }
    if (!req.user || !roles.includes(req.user.role)) {
      throw new ForbiddenError('FORBIDDEN', `This needs one of the roles: ${roles.join(', ')}`);
    }
    return true;
  }

  private isScrapeToken(req: Request): boolean {
    const expected = this.env.METRICS_TOKEN;
    const sent = req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!expected || !sent) return false;
    // Compared as digests: equal lengths, and no timing hint about the token.
    const digest = (v: string) => createHash('sha256').update(v).digest();
    return timingSafeEqual(digest(sent), digest(expected));
  }

  private apiKeyOf(req: Request): string | undefined {
    const header = req.header('x-api-key');
    if (header) return header.trim();
    const bearer = req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    return bearer?.startsWith(API_KEY_PREFIX) ? bearer : undefined;
  }
}
