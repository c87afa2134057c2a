import Redis from 'ioredis';
import { clearRedisPrefix, REDIS_URL } from '../../../../test/helpers/test-env';
import { randomAlphanumeric } from '../ids/ids';
import { LeasingThrottlerStorage, leaseSize, MAX_LEASE } from './leasing-throttler.storage';

describe('LeasingThrottlerStorage (real Redis)', () => {
  const prefix = `test_${randomAlphanumeric(8)}`;
  const redis = new Redis(REDIS_URL, { keyPrefix: `${prefix}:` });
  const counter = async (name: string, key: string) => Number(await redis.get(`throttle:${name}:${key}:hits`));

  afterAll(async () => {
    await clearRedisPrefix(prefix);
    redis.disconnect();
  });

  it('counts ahead only for limits of 200 a window and more, at most a hundredth of the limit', () => {
    expect([10, 199, 200, 1200, 3_200, 1_000_000].map(leaseSize)).toEqual([1, 1, 2, 12, MAX_LEASE, MAX_LEASE]);
  });

  it('gives each hit the count Redis would, with one round trip per lease', async () => {
    const storage = new LeasingThrottlerStorage(redis);
    const totals = [];
    for (let i = 0; i < 40; i++) totals.push((await storage.increment('k1', 60_000, 10_000, 5_000, 'a')).totalHits);
    expect(totals).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Two leases of 32 counted in Redis: the second one partly unused.
    expect(await counter('a', 'k1')).toBe(64);
  });

  it('counts concurrent hits once each, with one round trip under way at a time', async () => {
    const storage = new LeasingThrottlerStorage(redis);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => storage.increment('k2', 60_000, 10_000, 5_000, 'a')),
    );
    expect(results.map((r) => r.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await counter('a', 'k2')).toBe(128);
  });

  it('never counts past the limit ahead: the hit past it is refused by Redis and opens the block', async () => {
    const storage = new LeasingThrottlerStorage(redis);
    await redis.set('throttle:a:k3:hits', '3190', 'PX', 60_000);
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await storage.increment('k3', 60_000, 3_200, 5_000, 'a'));
    expect(results.map((r) => r.totalHits)).toEqual([
      3191, 3192, 3193, 3194, 3195, 3196, 3197, 3198, 3199, 3200, 3201, 3202,
    ]);
    expect(results.map((r) => r.isBlocked)).toEqual([...Array(10).fill(false), true, true]);
    expect(results[10].timeToBlockExpire).toBe(5);
    expect(await counter('a', 'k3')).toBe(3202);
  });

  it('shares the count with a second instance, which sees the hits the first holds as used', async () => {
    const first = new LeasingThrottlerStorage(redis);
    const second = new LeasingThrottlerStorage(redis);
    await first.increment('k4', 60_000, 10_000, 5_000, 'a');
    expect((await second.increment('k4', 60_000, 10_000, 5_000, 'a')).totalHits).toBe(MAX_LEASE + 1);
    expect((await first.increment('k4', 60_000, 10_000, 5_000, 'a')).totalHits).toBe(2);
  });

  it('drops what is left of a lease when its window ends, and starts counting again', async () => {
    const storage = new LeasingThrottlerStorage(redis);
    let now = 1_000_000;
    storage.now = () => now;
    await storage.increment('k5', 60_000, 10_000, 5_000, 'a');
    expect((await storage.increment('k5', 60_000, 10_000, 5_000, 'a')).totalHits).toBe(2);
    now += 60_001;
    await redis.del('throttle:a:k5:hits');
    expect((await storage.increment('k5', 60_000, 10_000, 5_000, 'a')).totalHits).toBe(1);
  });

  it('counts small limits one hit at a time, exactly as before', async () => {
    const storage = new LeasingThrottlerStorage(redis);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await storage.increment('k6', 60_000, 3, 5_000, 'a'));
    expect(results.map((r) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(await counter('a', 'k6')).toBe(4);
  });

  it('answers 503 RATE_LIMITER_UNAVAILABLE when Redis is down', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    dead.on('error', () => undefined);
    await expect(new LeasingThrottlerStorage(dead).increment('k', 1000, 10_000, 1000, 'a')).rejects.toMatchObject({
      status: 503,
      code: 'RATE_LIMITER_UNAVAILABLE',
    });
    dead.disconnect();
  });
});
