import { fingerprintOf, PoolCache } from './pool-cache';

class FakePool {
  closed = false;
  constructor(readonly id: number) {}
}

describe('PoolCache', () => {
  let made = 0;
  const create = () => new FakePool(++made);
  const cache = new PoolCache<FakePool>(async (pool) => {
    pool.closed = true;
  });

  it('reuses the pool of a connector while its fingerprint holds', async () => {
    const a = await cache.get('con_a', { host: 'h', password: 'p' }, create);
    expect(await cache.get('con_a', { password: 'p', host: 'h' }, create)).toBe(a);
    expect(await cache.get('con_b', { host: 'h', password: 'p' }, create)).not.toBe(a);
  });

  it('closes and replaces the pool when the configuration changes', async () => {
    const old = await cache.get('con_c', { host: 'h', password: 'one' }, create);
    const fresh = await cache.get('con_c', { host: 'h', password: 'two' }, create);
    expect(fresh).not.toBe(old);
    await new Promise((r) => setImmediate(r));
    expect(old.closed).toBe(true);
  });

  it('closes on release and on closeAll, and forgets a pool that failed to open', async () => {
    const pool = await cache.get('con_d', { x: 1 }, create);
    await cache.release('con_d');
    expect(pool.closed).toBe(true);
    await expect(
      cache.get('con_e', { x: 1 }, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await new Promise((r) => setImmediate(r));
    expect(await cache.get('con_e', { x: 1 }, create)).toBeInstanceOf(FakePool);
    await cache.closeAll();
    expect(cache.size).toBe(0);
  });

  it('fingerprints independently of key order and never contains the secret', () => {
    expect(fingerprintOf({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprintOf({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(fingerprintOf({ password: 'hunter2' })).not.toContain('hunter2');
    expect(fingerprintOf({ password: 'a' })).not.toBe(fingerprintOf({ password: 'b' }));
  });
});
