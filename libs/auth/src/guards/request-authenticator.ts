import { Injectable } from '@nestjs/common';
import { EnvDto, ForbiddenError, UnauthorizedError } from '@sluice/core';
import { MembershipRepository } from '../repositories/membership.repository';
import { AuthContext } from '../role';
import { ApiKeyService } from '../services/api-key.service';
import { AccessTokenClaims, hasBoundedLifetime } from '../services/token.service';
import { MemberAccessCache } from './member-access.cache';

/**
 * Turns a verified token or an API key into the caller's tenant and role. Roles are read from
 * the database, through a cache of a few seconds that changes made through the API clear at once
 * (MemberAccessCache), so a demotion or a disabled account takes effect at the next request.
 */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly memberships: MembershipRepository,
    private readonly apiKeys: ApiKeyService,
    private readonly env: EnvDto,
    private readonly access: MemberAccessCache,
  ) {}

  async fromClaims(claims: AccessTokenClaims, requestedTenant: string | undefined): Promise<AuthContext> {
    if (claims.typ !== 'access' || !claims.sub || !claims.tid || typeof claims.gen !== 'number') {
      throw new UnauthorizedError('TOKEN_INVALID', 'Access token is invalid');
    }
    if (!hasBoundedLifetime(claims, this.env.JWT_ACCESS_TTL_SECONDS)) {
      throw new UnauthorizedError('TOKEN_INVALID', 'Access token has no expiry, or one too far away');
    }
    const tenantId = requestedTenant ?? claims.tid;
    const member = await this.access.get(tenantId, claims.sub, () => this.memberships.findAccess(tenantId, claims.sub));
    if (!member || member.disabled) {
      if (requestedTenant && requestedTenant !== claims.tid && !member) {
        throw new ForbiddenError('TENANT_FORBIDDEN', 'You are not a member of the tenant named in X-Tenant-Id');
      }
      throw new UnauthorizedError('TOKEN_INVALID', 'This account can no longer use this token; sign in again');
    }
    // Read with the membership, so a bump takes effect as soon as the role would.
    if (claims.gen !== member.tokenGeneration) {
      throw new UnauthorizedError(
        'TOKEN_REVOKED',
        'This token was revoked (password changed or signed out everywhere); sign in again',
      );
    }
    return { userId: claims.sub, tenantId, role: member.role, via: 'jwt' };
  }

  async fromApiKey(key: string, requestedTenant: string | undefined): Promise<AuthContext> {
    const found = await this.apiKeys.authenticate(key);
    if (!found) throw new UnauthorizedError('API_KEY_INVALID', 'API key is invalid, expired or revoked');
    if (requestedTenant && requestedTenant !== found.tenantId) {
      throw new ForbiddenError('TENANT_FORBIDDEN', 'This API key belongs to another tenant than X-Tenant-Id');
    }
    return { userId: found.createdBy, tenantId: found.tenantId, role: found.role, via: 'api_key', apiKeyId: found.id };
  }
}
