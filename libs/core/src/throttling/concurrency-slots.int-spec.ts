import Redis from 'ioredis';
import { clearRedisPrefix, REDIS_URL } from '../../../../test/helpers/test-env';
import { randomAlphanumeric } from '../ids/ids';
import { ConcurrencySlots, SLOT_TTL_MS } from './concurrency-slots';

describe('ConcurrencySlots (real Redis)', () => {
  const prefix = `test_${randomAlphanumeric(8)}`;
  const redis = new Redis(REDIS_URL, { keyPrefix: `${prefix}:` });
  const slots = new ConcurrencySlots(redis);
  const take = async (kind: string, owner: string, limit: number) => {
    const slot = await slots.tryAcquire(kind, owner, limit);
    if (!slot) throw new Error(`no ${kind} slot left for ${owner}`);
    return slot;
  };

  afterAll(async () => {
    await clearRedisPrefix(prefix);
    redis.disconnect();
  });

  it('refuses the slot past the limit and gives it back on release', async () => {
    const a = await take('events', 'user:a', 2);
    const b = await take('events', 'user:a', 2);
    expect(await slots.tryAcquire('events', 'user:a', 2)).toBeNull();
    // Another owner has slots of its own.
    (await take('events', 'user:b', 2)).release();
    a.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const c = await take('events', 'user:a', 2);
    b.release();
    c.release();
  });

  it('lets the slot of a crashed instance lapse, and the key itself expire', async () => {
    // What an instance that died leaves behind: a slot nobody renews, here lapsing in 300 ms.
    const key = 'slots:events:user:crashed';
    const time = await redis.time();
    const nowMs = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    await redis.zadd(key, nowMs + 300, 'slot-of-a-dead-instance');
    await redis.pexpire(key, 300);
    expect(await slots.tryAcquire('events', 'user:crashed', 1)).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const slot = await take('events', 'user:crashed', 1);
    expect(await redis.pttl(key)).toBeGreaterThan(SLOT_TTL_MS - 5_000);
    slot.release();
  });
});
