import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { REDIS } from '../redis/redis.token';

/** How long a slot lives without renewal: what a crashed API instance can hold a slot for. */
export const SLOT_TTL_MS = 30_000;
const RENEW_EVERY_MS = SLOT_TTL_MS / 3;

// One sorted set per owner: member = stream, score = when its slot lapses (Redis time, so
// instances with skewed clocks agree). Lapsed slots are dropped before counting.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** A held slot: renewed in the background until released (releasing twice is harmless). */
export interface Slot {
  release(): void;
}

/**
 * Caps what one owner (a user, a tenant) holds at once, across every API instance: event
 * streams, questions in flight. The slots live in Redis and lapse unless their instance keeps
 * renewing them, so a crashed instance gives its slots back within {@link SLOT_TTL_MS}.
 */
@Injectable()
export class ConcurrencySlots {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Takes one of the `limit` slots of `kind` that `owner` has; null when all are held. */
  async tryAcquire(kind: string, owner: string, limit: number): Promise<Slot | null> {
    const key = `slots:${kind}:${owner}`;
    const member = randomBytes(9).toString('base64url');
    const taken = await this.redis.eval(ACQUIRE, 1, key, member, limit, SLOT_TTL_MS);
    if (taken !== 1) return null;
    const timer = setInterval(() => {
      this.redis.eval(RENEW, 1, key, member, SLOT_TTL_MS).catch(() => undefined);
    }, RENEW_EVERY_MS);
    timer.unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        this.redis.zrem(key, member).catch(() => undefined);
      },
    };
  }
}
