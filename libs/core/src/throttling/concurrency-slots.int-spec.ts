import Redis from 'ioredis';
import { clearRedisPrefix, REDIS_URL } from '../../../../test/helpers/test-env';
import { randomAlphanumeric } from '../ids/ids';
import { SLOT_TTL_MS, StreamSlots } from './stream-slots';

describe('StreamSlots (real Redis)', () => {
  const prefix = `test_${randomAlphanumeric(8)}`;
  const redis = new Redis(REDIS_URL, { keyPrefix: `${prefix}:` });
  const slots = new StreamSlots(redis);

  afterAll(async () => {
    await clearRedisPrefix(prefix);
    redis.disconnect();
  });

  it('refuses the slot past the limit with 429 and gives it back on release', async () => {
    const a = await slots.acquire('events', 'user:a', 2);
    const b = await slots.acquire('events', 'user:a', 2);
    await expect(slots.acquire('events', 'user:a', 2)).rejects.toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });
    // Another owner has slots of its own.
    (await slots.acquire('events', 'user:b', 2)).release();
    a.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const c = await slots.acquire('events', 'user:a', 2);
    b.release();
    c.release();
  });

  it('lets the slot of a crashed instance lapse, and the key itself expire', async () => {
    // What an instance that died leaves behind: a slot nobody renews, here lapsing in 300 ms.
    const key = 'streams:events:user:crashed';
    const time = await redis.time();
    const nowMs = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    await redis.zadd(key, nowMs + 300, 'slot-of-a-dead-instance');
    await redis.pexpire(key, 300);
    await expect(slots.acquire('events', 'user:crashed', 1)).rejects.toMatchObject({ status: 429 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const slot = await slots.acquire('events', 'user:crashed', 1);
    expect(await redis.pttl(key)).toBeGreaterThan(SLOT_TTL_MS - 5_000);
    slot.release();
  });
});
