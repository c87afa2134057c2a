import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { EnvDto } from '@sluice/core';
import type { Request } from 'express';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthContext } from '../role';
import { AccessTokenClaims, JWT_AUDIENCE, JWT_ISSUER } from '../services/token.service';
import { RequestAuthenticator } from './request-authenticator';
import { requestedTenant } from './tenant-header';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    env: EnvDto,
    private readonly authenticator: RequestAuthenticator,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: env.JWT_SECRET,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      algorithms: ['HS256'],
      passReqToCallback: true,
    });
  }

  validate(req: Request, claims: AccessTokenClaims): Promise<AuthContext> {
    return this.authenticator.fromClaims(claims, requestedTenant(req));
  }
}
