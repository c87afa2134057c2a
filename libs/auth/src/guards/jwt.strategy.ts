import { Injectable } from '@nestjs/common';
import { JwtService, type JwtVerifyOptions } from '@nestjs/jwt';
import { EnvDto, UnauthorizedError } from '@sluice/core';
import type { Request } from 'express';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { ExtractJwt } from 'passport-jwt';
import { AuthContext } from '../role';
import { AccessTokenClaims, JWT_AUDIENCE, JWT_ISSUER } from '../services/token.service';
import { RequestAuthenticator } from './request-authenticator';
import { requestedTenant } from './tenant-header';

/** The bearer token of the Authorization header, read as passport-jwt reads it. */
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * The check of an access token: signature, algorithm, issuer, audience and expiry, then the
 * caller's tenant and role (RequestAuthenticator). What passport-jwt did through Passport, called
 * directly (jsonwebtoken through JwtService): the same extraction and the same verify options,
 * without Passport's strategy set-up and callbacks on every request.
 */
@Injectable()
export class JwtStrategy {
  // A key object, not the string: given a string, jsonwebtoken first tries to read it as a
  // PEM public key on every verify, and that failed parse (an exception) cost ~2 ms a request.
  // Same bytes as before (UTF-8 of the secret), so tokens signed with the string still verify.
  // JwtService hands it to jsonwebtoken as is; its types only predate key objects.
  private readonly options: JwtVerifyOptions;

  constructor(
    env: EnvDto,
    private readonly jwt: JwtService,
    private readonly authenticator: RequestAuthenticator,
  ) {
    const key: KeyObject = createSecretKey(Buffer.from(env.JWT_SECRET, 'utf8'));
    this.options = {
      secret: key as unknown as Buffer,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      algorithms: ['HS256'],
      ignoreExpiration: false,
    };
  }

  /**
   * The caller of a request with a bearer token. A missing, malformed, badly signed or foreign
   * token is a 401 TOKEN_INVALID, an expired one a 401 TOKEN_EXPIRED; an error while reading the
   * caller's access (say, the database went away) keeps its own meaning, as a 503.
   */
  async authenticate(req: Request): Promise<AuthContext> {
    const token = bearerToken(req);
    if (!token) throw new UnauthorizedError('TOKEN_INVALID', 'Access token is missing or invalid');
    let claims: AccessTokenClaims;
    try {
      claims = this.jwt.verify<AccessTokenClaims>(token, this.options);
    } catch (error) {
      throw (error as { name?: string }).name === 'TokenExpiredError'
        ? new UnauthorizedError('TOKEN_EXPIRED', 'Access token has expired; refresh it or sign in again')
        : new UnauthorizedError('TOKEN_INVALID', 'Access token is missing or invalid');
    }
    return this.authenticator.fromClaims(claims, requestedTenant(req));
  }
}
