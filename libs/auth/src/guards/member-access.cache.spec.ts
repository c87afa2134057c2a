import { MemberAccess } from '../repositories/membership.repository';
import { MEMBER_ACCESS_TTL_MS, MemberAccessCache } from './member-access.cache';

describe('MemberAccessCache', () => {
  let cache: MemberAccessCache;
  let clock: number;
  let stored: MemberAccess | null;
  let reads: number;
  const load = async () => {
    reads++;
    return stored && { ...stored };
  };

  beforeEach(() => {
    cache = new MemberAccessCache();
    clock = 1_000_000;
    cache.now = () => clock;
    stored = { role: 'admin', disabled: false, tokenGeneration: 0 };
    reads = 0;
  });

  it('answers a repeated lookup from memory within its lifetime', async () => {
    expect(await cache.get('ten_a', 'usr_1', load)).toEqual(stored);
    stored = { role: 'viewer', disabled: false, tokenGeneration: 0 };
    clock += MEMBER_ACCESS_TTL_MS - 1;
    expect((await cache.get('ten_a', 'usr_1', load))?.role).toBe('admin');
    expect(reads).toBe(1);
  });

  it('reads again once its lifetime is over: a change made elsewhere shows within the bound', async () => {
    await cache.get('ten_a', 'usr_1', load);
    stored = { role: 'viewer', disabled: true, tokenGeneration: 3 };
    clock += MEMBER_ACCESS_TTL_MS;
    expect(await cache.get('ten_a', 'usr_1', load)).toEqual({ role: 'viewer', disabled: true, tokenGeneration: 3 });
    expect(reads).toBe(2);
  });

  it('keeps the lifetime to a few seconds', () => {
    expect(MEMBER_ACCESS_TTL_MS).toBeLessThanOrEqual(5_000);
  });

  it('forgets a user in every tenant at once when told', async () => {
    await cache.get('ten_a', 'usr_1', load);
    await cache.get('ten_b', 'usr_1', load);
    await cache.get('ten_a', 'usr_2', load);
    stored = { role: 'editor', disabled: false, tokenGeneration: 1 };
    cache.forgetUser('usr_1');
    expect((await cache.get('ten_a', 'usr_1', load))?.tokenGeneration).toBe(1);
    expect((await cache.get('ten_b', 'usr_1', load))?.role).toBe('editor');
    // Another user keeps their entry.
    expect((await cache.get('ten_a', 'usr_2', load))?.role).toBe('admin');
    expect(reads).toBe(5);
  });

  it('keeps tenants apart: a user is looked up per tenant', async () => {
    await cache.get('ten_a', 'usr_1', load);
    stored = null;
    expect(await cache.get('ten_b', 'usr_1', load)).toBeNull();
  });

  it('does not keep a refusal: a user who is not a member is read again', async () => {
    stored = null;
    expect(await cache.get('ten_a', 'usr_1', load)).toBeNull();
    stored = { role: 'viewer', disabled: false, tokenGeneration: 0 };
    expect((await cache.get('ten_a', 'usr_1', load))?.role).toBe('viewer');
    expect(reads).toBe(2);
  });

  it('does not store what a read in flight during a change returned', async () => {
    let release!: () => void;
    const slow = () =>
      new Promise<MemberAccess>((resolve) => {
        release = () => resolve({ role: 'admin', disabled: false, tokenGeneration: 0 });
      });
    const pending = cache.get('ten_a', 'usr_1', slow);
    // The change commits and forgets the user while the old row is on its way back.
    stored = { role: 'viewer', disabled: false, tokenGeneration: 1 };
    cache.forgetUser('usr_1');
    release();
    expect((await pending)?.role).toBe('admin');
    expect(await cache.get('ten_a', 'usr_1', load)).toEqual(stored);
  });
});
