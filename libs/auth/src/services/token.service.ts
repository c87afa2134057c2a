import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { EnvDto, newId } from '@sluice/core';
import { createHash, randomBytes } from 'node:crypto';
import { TenantEntity } from '../entities/tenant.entity';
import { UserEntity } from '../entities/user.entity';
import { TokenResponseDto } from '../dto/auth.dto';
import { RefreshTokenRepository } from '../repositories/refresh-token.repository';
import { Role } from '../role';

/** Claims of an access token. `tid` is the tenant signed in to; X-Tenant-Id may pick another. */
export interface AccessTokenClaims {
  sub: string;
  tid: string;
  typ: 'access';
  /** The user's token generation when issued; a password change, disable or sign-out everywhere bumps it. */
  gen: number;
  /** Set by the signer; a token without them is refused. */
  iat?: number;
  exp?: number;
}

export const JWT_ISSUER = 'sluice';
export const JWT_AUDIENCE = 'sluice-api';

/**
 * A token must say when it expires, and may live no longer than we would have issued it for:
 * the JWT library only checks `exp` when it is present, so a token without one would live forever.
 */
export function hasBoundedLifetime(claims: { iat?: unknown; exp?: unknown }, maxSeconds: number): boolean {
  const { iat, exp } = claims;
  return typeof iat === 'number' && typeof exp === 'number' && exp > iat && exp - iat <= maxSeconds;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly env: EnvDto,
  ) {}

  /** A short-lived access token and a single-use refresh token, stored only as its hash. */
  async issue(user: UserEntity, tenant: TenantEntity, role: Role): Promise<TokenResponseDto> {
    const claims: AccessTokenClaims = { sub: user.id, tid: tenant.id, typ: 'access', gen: user.tokenGeneration };
    const accessToken = await this.jwt.signAsync(claims, {
      expiresIn: this.env.JWT_ACCESS_TTL_SECONDS,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      algorithm: 'HS256',
    });
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    await this.refreshTokens.insert({
      id: newId('refreshToken'),
      userId: user.id,
      tenantId: tenant.id,
      tokenHash: sha256Hex(refreshToken),
      expiresAt: new Date(Date.now() + this.env.JWT_REFRESH_TTL_SECONDS * 1000),
    });
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.env.JWT_ACCESS_TTL_SECONDS,
      refreshExpiresIn: this.env.JWT_REFRESH_TTL_SECONDS,
      user: { id: user.id, email: user.email, name: user.name },
      tenant: { id: tenant.id, name: tenant.name },
      role,
    };
  }
}
