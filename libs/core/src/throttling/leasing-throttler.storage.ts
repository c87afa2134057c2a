import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** At most this many hits of one client are counted in Redis ahead of use. */
export const MAX_LEASE = 32;
/** ...and at most a hundredth of the limit, so unused hits held by an instance stay a small share. */
const LEASE_SHARE = 100;
const MAX_LEASES = 10_000;

/** Hits counted in Redis for this instance and not used yet: `next` to `last`, until `until`. */
interface Lease {
  next: number;
  last: number;
  until: number;
}

type Record = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** How many hits one round trip may count ahead for a limit (1: every hit goes to Redis). */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(MAX_LEASE, Math.floor(limit / LEASE_SHARE)));
}

/**
 * The throttler's storage, counting a client's hits in Redis a few at a time: one round trip
 * counts up to leaseSize(limit) hits, and the next ones are taken here until they are used up
 * or the window ends. Every request paid a Redis round trip before; now about one in
 * leaseSize(limit) does.
 *
 * Within one instance the limit holds exactly: hits are only counted in Redis as far as the limit
 * leaves room, the hit past the limit goes to Redis and is refused there (and opens the block),
 * and the counts and reset times given to each request are the ones Redis would have given.
 * Across instances the Redis counter may run ahead of what was used by the hits an instance holds
 * unused (fewer than leaseSize(limit), a hundredth of the limit at most), so a client spread over
 * N instances may be refused up to (N - 1) × that many hits early, never late. Small limits
 * (below 200 a window, as sign-in's) are counted one hit at a time, as before.
 */
export class LeasingThrottlerStorage implements ThrottlerStorage {
  private readonly storage: RedisThrottlerStorage;
  private readonly leases = new Map<string, Lease>();
  /** A round trip under way for a key: concurrent hits wait for it rather than start their own. */
  private readonly pending = new Map<string, Promise<unknown>>();
  /** The clock, replaceable by tests. */
  now: () => number = Date.now;

  constructor(redis: Redis) {
    this.storage = new RedisThrottlerStorage(redis);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<Record> {
    const want = leaseSize(limit);
    if (want === 1) return this.storage.increment(key, ttl, limit, blockDuration, throttlerName);
    const id = `${throttlerName}:${key}`;
    for (;;) {
      const local = this.take(id);
      if (local) return local;
      const waiting = this.pending.get(id);
      if (!waiting) break;
      await waiting.catch(() => undefined);
    }
    // The window is timed from before the round trip, so a lease never outlives it in Redis.
    const started = this.now();
    const reserving = this.storage.reserve(key, ttl, limit, blockDuration, throttlerName, want);
    this.pending.set(id, reserving);
    try {
      const { hits, granted, ttlMs, blockedMs } = await reserving;
      const isBlocked = blockedMs > 0;
      if (!isBlocked && granted > 1) this.keep(id, { next: hits - granted + 2, last: hits, until: started + ttlMs });
      return {
        // The first of the granted hits is this request's.
        totalHits: hits - granted + 1,
        timeToExpire: Math.max(0, Math.ceil(ttlMs / 1000)),
        isBlocked,
        timeToBlockExpire: isBlocked ? Math.ceil(blockedMs / 1000) : 0,
      };
    } finally {
      this.pending.delete(id);
    }
  }

  /** The next hit of a lease still in its window, or undefined. */
  private take(id: string): Record | undefined {
    const lease = this.leases.get(id);
    if (!lease) return undefined;
    const left = lease.until - this.now();
    if (lease.next > lease.last || left <= 0) {
      this.leases.delete(id);
      return undefined;
    }
    return { totalHits: lease.next++, timeToExpire: Math.ceil(left / 1000), isBlocked: false, timeToBlockExpire: 0 };
  }

  private keep(id: string, lease: Lease): void {
    this.leases.delete(id);
    if (this.leases.size >= MAX_LEASES) this.leases.delete(this.leases.keys().next().value!);
    this.leases.set(id, lease);
  }
}
