import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { EnvDto } from '@sluice/core';
import type { Request } from 'express';
import { createSecretKey } from 'node:crypto';
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
      // A key object, not the string: given a string, jsonwebtoken first tries to read it as a
      // PEM public key on every verify, and that failed parse (an exception) cost ~2 ms a request.
      // Same bytes as before (UTF-8 of the secret), so tokens signed with the string still verify.
      // passport-jwt hands it to jsonwebtoken as is; its types only predate key objects.
      secretOrKey: createSecretKey(Buffer.from(env.JWT_SECRET, 'utf8')) as unknown as Buffer,
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
