import { BadRequestError, NotFoundError } from '@sluice/core';
import { ApiKeyRepository } from '../repositories/api-key.repository';
import { AuthContext } from '../role';
import { AuthStore, asReal, FakeApiKeyRepository } from '../testing/auth-repositories.fake';
import { API_KEY_PREFIX, ApiKeyService } from './api-key.service';
import { sha256Hex } from './token.service';

describe('ApiKeyService', () => {
  let store: AuthStore;
  let service: ApiKeyService;
  const acme: AuthContext = { userId: 'usr_admin', tenantId: 'ten_acme', role: 'admin', via: 'jwt' };
  const globex: AuthContext = { userId: 'usr_boss', tenantId: 'ten_globex', role: 'admin', via: 'jwt' };

  beforeEach(() => {
    store = new AuthStore();
    service = new ApiKeyService(asReal<ApiKeyRepository>(new FakeApiKeyRepository(store)));
  });

  const create = (auth = acme, dto: { name?: string; role?: 'admin' | 'editor' | 'viewer'; expiresAt?: string } = {}) =>
    service.create(auth, { name: dto.name ?? 'ci', role: dto.role ?? 'viewer', expiresAt: dto.expiresAt });

  describe('create', () => {
    it('returns the key once, and stores only its hash and a short visible prefix', async () => {
      const created = await create(acme, { role: 'editor' });
      expect(created.key).toMatch(new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{40}$`));
      expect(created.prefix).toBe(created.key.slice(0, API_KEY_PREFIX.length + 8));
      expect(created).toMatchObject({ name: 'ci', role: 'editor', createdBy: 'usr_admin', revokedAt: null });
      const row = store.apiKeys.get(created.id)!;
      expect(row.keyHash).toBe(sha256Hex(created.key));
      expect(JSON.stringify(row)).not.toContain(created.key);
    });

    it('refuses an expiry that is not in the future', async () => {
      // create() checks before it returns a promise: the error is thrown, not a rejection.
      const past = () => create(acme, { expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(past).toThrow(BadRequestError);
      expect(past).toThrow(expect.objectContaining({ code: 'INVALID_EXPIRY' }));
      expect(store.apiKeys.size).toBe(0);
    });

    it('gives two keys different secrets', async () => {
      const [a, b] = await Promise.all([create(), create()]);
      expect(a.key).not.toBe(b.key);
    });
  });

  describe('authenticate', () => {
    it("answers the key's tenant and role, and records when it was used", async () => {
      const created = await create(acme, { role: 'editor' });
      const found = await service.authenticate(created.key);
      expect(found).toMatchObject({ id: created.id, tenantId: 'ten_acme', role: 'editor' });
      expect(store.apiKeys.get(created.id)!.lastUsedAt).toBeInstanceOf(Date);
    });

    it('refuses a revoked key', async () => {
      const created = await create();
      await service.revoke(acme, created.id);
      expect(await service.authenticate(created.key)).toBeNull();
    });

    it('refuses an expired key', async () => {
      const created = await create(acme, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
      store.apiKeys.get(created.id)!.expiresAt = new Date(Date.now() - 1);
      expect(await service.authenticate(created.key)).toBeNull();
    });

    it('refuses an unknown key, a key without the prefix and an overlong one, without a lookup', async () => {
      const created = await create();
      // The last character changed (a key may itself end in x: then y).
      const last = created.key.slice(-1) === 'x' ? 'y' : 'x';
      expect(await service.authenticate(`${created.key.slice(0, -1)}${last}`)).toBeNull();
      expect(await service.authenticate(created.key.slice(API_KEY_PREFIX.length))).toBeNull();
      expect(await service.authenticate(`${created.key}${'a'.repeat(100)}`)).toBeNull();
    });

    it('writes last use at most once a minute', async () => {
      const created = await create();
      await service.authenticate(created.key);
      const first = store.apiKeys.get(created.id)!.lastUsedAt!;
      await new Promise((r) => setTimeout(r, 5));
      await service.authenticate(created.key);
      expect(store.apiKeys.get(created.id)!.lastUsedAt).toEqual(first);

      store.apiKeys.get(created.id)!.lastUsedAt = new Date(Date.now() - 61_000);
      await service.authenticate(created.key);
      expect(store.apiKeys.get(created.id)!.lastUsedAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
    });
  });

  describe('revoke', () => {
    it('revokes once; revoking again keeps the first time', async () => {
      const created = await create();
      const first = await service.revoke(acme, created.id);
      expect(first.revokedAt).not.toBeNull();
      const again = await service.revoke(acme, created.id);
      expect(again.revokedAt).toBe(first.revokedAt);
    });

    it("answers 404 to another tenant, and leaves that tenant's key working", async () => {
      const created = await create(acme);
      await expect(service.revoke(globex, created.id)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.revoke(globex, created.id)).rejects.toMatchObject({ code: 'API_KEY_NOT_FOUND' });
      expect(await service.authenticate(created.key)).not.toBeNull();
    });
  });

  describe('list', () => {
    it("lists the tenant's own keys only, newest first, without revoked ones unless asked", async () => {
      const old = await create(acme, { name: 'old' });
      const kept = await create(acme, { name: 'kept' });
      await create(globex, { name: 'theirs' });
      await service.revoke(acme, old.id);

      const page = await service.list(acme, {});
      expect(page.data.map((k) => k.name)).toEqual(['kept']);
      expect(page.pagination).toMatchObject({ total: 1, hasMore: false, nextCursor: null });
      expect(page.data[0]).not.toHaveProperty('key');
      expect(page.data[0]).not.toHaveProperty('keyHash');

      const all = await service.list(acme, { includeRevoked: true });
      expect(all.data.map((k) => k.id)).toEqual([kept.id, old.id]);
    });

    it('pages with a cursor', async () => {
      for (const name of ['a', 'b', 'c']) await create(acme, { name });
      const first = await service.list(acme, { limit: 2 });
      expect(first.data.map((k) => k.name)).toEqual(['c', 'b']);
      expect(first.pagination).toMatchObject({ total: 3, hasMore: true });
      const second = await service.list(acme, { limit: 2, cursor: first.pagination.nextCursor! });
      expect(second.data.map((k) => k.name)).toEqual(['a']);
      expect(second.pagination.hasMore).toBe(false);
    });
  });
});
