import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { ServiceUnavailableError } from '../errors/domain-error';

// One round trip, atomic across API instances: count the hit, start the window on the first
// one, and open a block once the limit is passed. PTTL values come back in milliseconds.
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
local blocked = redis.call('PTTL', KEYS[2])
if blocked <= 0 and hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  blocked = tonumber(ARGV[3])
end
return { hits, ttl, blocked }
`;

const COMMAND = 'sluiceThrottleIncrement';

// INCREMENT for `want` hits at once, granted as far as the limit leaves room, so that an API
// instance can count the next hits of a client locally (LeasingThrottlerStorage). The refused
// hit counts as one, as with INCREMENT; a blocked client is granted one hit at a time.
const RESERVE = `
local blocked = redis.call('PTTL', KEYS[2])
local grant = tonumber(ARGV[4])
local limit = tonumber(ARGV[2])
if blocked > 0 then
  grant = 1
else
  local room = limit - tonumber(redis.call('GET', KEYS[1]) or '0')
  if room < grant then grant = room end
  if grant < 1 then grant = 1 end
end
local hits = redis.call('INCRBY', KEYS[1], grant)
if hits == grant then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if blocked <= 0 and hits > limit then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  blocked = tonumber(ARGV[3])
end
return { hits, ttl, blocked, grant }
`;

const RESERVE_COMMAND = 'sluiceThrottleReserve';

type WithIncrement = Redis & {
  [COMMAND](hitsKey: string, blockKey: string, ttl: number, limit: number, block: number): Promise<unknown>;
  [RESERVE_COMMAND](
    hitsKey: string,
    blockKey: string,
    ttl: number,
    limit: number,
    block: number,
    want: number,
  ): Promise<unknown>;
};

const REDIS_DOWN = () =>
  // Without Redis no limit can be enforced; refusing is safer than letting sign-in guessing through.
  new ServiceUnavailableError(
    'RATE_LIMITER_UNAVAILABLE',
    'Redis is not reachable, so requests cannot be rate-limited; try again shortly',
  );

/** What `reserve` answers: the counter after the grant, and how many hits of it are the caller's. */
export interface Reservation {
  hits: number;
  granted: number;
  ttlMs: number;
  blockedMs: number;
}

/** @nestjs/throttler storage in Redis, so limits hold across every API instance. */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly redis: WithIncrement;

  constructor(redis: Redis) {
    // A defined command runs by EVALSHA (EVAL once, after a NOSCRIPT): every request of the app
    // passes here, and the script's text need not travel, nor be hashed by Redis, each time.
    if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: INCREMENT });
    if (!(RESERVE_COMMAND in redis)) redis.defineCommand(RESERVE_COMMAND, { numberOfKeys: 2, lua: RESERVE });
    this.redis = redis as WithIncrement;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const base = `throttle:${throttlerName}:${key}`;
    let reply: [number, number, number];
    try {
      reply = (await this.redis[COMMAND](`${base}:hits`, `${base}:block`, ttl, limit, blockDuration)) as typeof reply;
    } catch {
      throw REDIS_DOWN();
    }
    const [hits, ttlMs, blockedMs] = reply;
    const isBlocked = blockedMs > 0;
    return {
      totalHits: hits,
      timeToExpire: Math.max(0, Math.ceil(ttlMs / 1000)),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil(blockedMs / 1000) : 0,
    };
  }

  /** Counts up to `want` hits at once in one round trip, as far as the limit leaves room. */
  async reserve(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
    want: number,
  ): Promise<Reservation> {
    const base = `throttle:${throttlerName}:${key}`;
    let reply: [number, number, number, number];
    try {
      reply = (await this.redis[RESERVE_COMMAND](
        `${base}:hits`,
        `${base}:block`,
        ttl,
        limit,
        blockDuration,
        want,
      )) as typeof reply;
    } catch {
      throw REDIS_DOWN();
    }
    const [hits, ttlMs, blockedMs, granted] = reply;
    return { hits, granted, ttlMs, blockedMs };
  }
}
