import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { TooManyRequestsError } from '../errors/domain-error';
import { REDIS } from '../redis/redis.token';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** A named budget checked in code (e.g. per tenant), on the same Redis counters as the throttler. */
@Injectable()
export class RateLimiter {
  private readonly storage: RedisThrottlerStorage;

  constructor(@Inject(REDIS) redis: Redis) {
    this.storage = new RedisThrottlerStorage(redis);
  }

  /** Counts one use of `key`; past `limit` in `windowMs` throws 429 with the wait in Retry-After. */
  async consume(name: string, key: string, limit: number, windowMs: number, what: string): Promise<void> {
    const record = await this.storage.increment(key, windowMs, limit, windowMs, name);
    if (record.isBlocked) {
      throw new TooManyRequestsError(
        `Too many ${what} (at most ${limit} per ${Math.round(windowMs / 1000)} s); retry in ${record.timeToBlockExpire} s`,
        record.timeToBlockExpire,
      );
    }
  }
}
