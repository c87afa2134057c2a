import Redis from 'ioredis';
import { eventually } from '../../../../test/helpers/eventually';
import { clearRedisPrefix, REDIS_URL } from '../../../../test/helpers/test-env';
import { randomAlphanumeric } from '../ids/ids';
import { RedisThrottlerStorage } from './redis-throttler.storage';

describe('RedisThrottlerStorage (real Redis)', () => {
  const prefix = `test_${randomAlphanumeric(8)}`;
  const redis = new Redis(REDIS_URL, { keyPrefix: `${prefix}:` });
  const storage = new RedisThrottlerStorage(redis);

  afterAll(async () => {
    await clearRedisPrefix(prefix);
    redis.disconnect();
  });

  it('counts hits in a window and blocks past the limit', async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await storage.increment('k1', 60_000, 3, 5_000, 'default'));
    expect(results.map((r) => r.totalHits)).toEqual([1, 2, 3, 4]);
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    expect(results[3].timeToBlockExpire).toBe(5);
    expect(results[0].timeToExpire).toBeGreaterThan(55);
  });

  it('shares counts between two API instances using the same Redis', async () => {
    const otherClient = new Redis(REDIS_URL, { keyPrefix: `${prefix}:` });
    const other = new RedisThrottlerStorage(otherClient);
    try {
      await storage.increment('shared', 60_000, 2, 1_000, 'default');
      await other.increment('shared', 60_000, 2, 1_000, 'default');
      expect((await storage.increment('shared', 60_000, 2, 1_000, 'default')).isBlocked).toBe(true);
    } finally {
      otherClient.disconnect();
    }
  });

  it('keeps throttler names apart', async () => {
    // A window far longer than the three calls, however slow the machine.
    await storage.increment('k2', 60_000, 1, 60_000, 'a');
    expect((await storage.increment('k2', 60_000, 1, 60_000, 'b')).totalHits).toBe(1);
    expect((await storage.increment('k2', 60_000, 1, 60_000, 'a')).isBlocked).toBe(true);
  });

  it('starts a new window, unblocked, once the ttl and the block have run out', async () => {
    // Limit 0: one call both counts and blocks, so nothing depends on how fast calls follow.
    expect(await storage.increment('k3', 200, 0, 200, 'a')).toMatchObject({ totalHits: 1, isBlocked: true });
    await eventually(
      () => redis.exists('throttle:a:k3:hits', 'throttle:a:k3:block'),
      (left) => left === 0,
      5000,
      { what: 'the window and the block to expire in Redis' },
    );
    const fresh = await storage.increment('k3', 200, 1, 200, 'a');
    expect(fresh).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('answers 503 RATE_LIMITER_UNAVAILABLE when Redis is down', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    dead.on('error', () => undefined);
    await expect(new RedisThrottlerStorage(dead).increment('k', 1000, 1, 1000, 'default')).rejects.toMatchObject({
      status: 503,
      code: 'RATE_LIMITER_UNAVAILABLE',
    });
    dead.disconnect();
  });
});
