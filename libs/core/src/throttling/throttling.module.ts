import { ExecutionContext, Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import type Redis from 'ioredis';
import { EnvDto } from '../config/env.dto';
import { TooManyRequestsError } from '../errors/domain-error';
import { REDIS } from '../redis/redis';
import { LOGIN_RATE_LIMITED_KEY } from './login-rate-limited.decorator';
import { LeasingThrottlerStorage } from './leasing-throttler.storage';

const isLoginRoute = (ctx: ExecutionContext): boolean =>
  Reflect.getMetadata(LOGIN_RATE_LIMITED_KEY, ctx.getHandler()) === true;

/** Answers 429 in our error body, with Retry-After, whichever limit was hit. */
@Injectable()
class AppThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new TooManyRequestsError(
      `Too many requests; retry in ${Math.max(1, detail.timeToBlockExpire)} s`,
      Math.max(1, detail.timeToBlockExpire),
    );
  }
}

/**
 * Rate limits in Redis so they hold across API instances: a general limit per client IP, and
 * on sign-in a limit per IP and one per account (the e-mail tried), against password guessing
 * from one place and against one account from many places.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [EnvDto, REDIS],
      useFactory: (env: EnvDto, redis: Redis) => {
        const loginWindow = env.LOGIN_RATE_LIMIT_WINDOW_SECONDS * 1000;
        return {
          storage: new LeasingThrottlerStorage(redis),
          throttlers: [
            { name: 'default', ttl: 60_000, limit: env.RATE_LIMIT_PER_MINUTE },
            {
              name: 'login-ip',
              ttl: loginWindow,
              limit: env.LOGIN_RATE_LIMIT_PER_IP,
              skipIf: (ctx) => !isLoginRoute(ctx),
            },
            {
              name: 'login-account',
              ttl: loginWindow,
              limit: env.LOGIN_RATE_LIMIT_PER_ACCOUNT,
              skipIf: (ctx) => !isLoginRoute(ctx),
              getTracker: (req: Record<string, unknown>) => {
                const email = ((req as unknown as Request).body as { email?: unknown } | undefined)?.email;
                return typeof email === 'string' ? `account:${email.trim().toLowerCase()}` : `ip:${String(req.ip)}`;
              },
            },
          ],
        };
      },
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: AppThrottlerGuard }],
})
export class ThrottlingModule {}
