import { ensureDatabaseExists, runMigrations, newId } from '@sluice/core';
import { DataSource } from 'typeorm';
import { dropDatabase, testEnv } from '../../../../test/helpers/test-env';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { InvitationEntity } from '../entities/invitation.entity';
import { MembershipEntity } from '../entities/membership.entity';
import { RefreshTokenEntity } from '../entities/refresh-token.entity';
import { TenantEntity } from '../entities/tenant.entity';
import { UserEntity } from '../entities/user.entity';
import { Role } from '../role';
import { ApiKeyRepository } from './api-key.repository';
import { InvitationRepository } from './invitation.repository';
import { MembershipRepository } from './membership.repository';
import { RefreshTokenRepository } from './refresh-token.repository';
import { TenantRepository } from './tenant.repository';
import { UserRepository } from './user.repository';

/**
 * The auth repositories against the real schema (migrations included): a row of one tenant never
 * answers for another, e-mails and tenant names compare without case, pages are newest first, and
 * the unique indexes the services catch raise the constraint names they look for.
 */
describe('auth repositories (real PostgreSQL)', () => {
  const url = testEnv().DATABASE_URL!;
  let db: DataSource;
  let tenants: TenantRepository;
  let users: UserRepository;
  let memberships: MembershipRepository;
  let invitations: InvitationRepository;
  let refreshTokens: RefreshTokenRepository;
  let apiKeys: ApiKeyRepository;
  let acme: TenantEntity;
  let globex: TenantEntity;

  const user = async (email: string, extra: { disabled?: boolean } = {}) => {
    const created = await users.insert({ email, name: email.split('@')[0], passwordHash: 'hash' });
    if (extra.disabled) await users.update(created.id, { disabled: true });
    return created;
  };
  const member = async (tenant: TenantEntity, email: string, role: Role, extra: { disabled?: boolean } = {}) => {
    const u = await user(email, extra);
    await memberships.insert(tenant.id, u.id, role);
    return u;
  };
  /** Sets created_at, so that order does not hang on the clock between two inserts. */
  const createdAt = (table: string, where: string, id: string, at: string) =>
    db.query(`UPDATE ${table} SET created_at = $2 WHERE ${where} = $1`, [id, at]);
  const constraintOf = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (e: { constraint?: string }) => e.constraint ?? String(e),
    );

  beforeAll(async () => {
    await ensureDatabaseExists(url);
    await runMigrations(url);
    db = await new DataSource({
      type: 'postgres',
      url,
      entities: [TenantEntity, UserEntity, MembershipEntity, InvitationEntity, RefreshTokenEntity, ApiKeyEntity],
    }).initialize();
    tenants = new TenantRepository(db.getRepository(TenantEntity));
    users = new UserRepository(db.getRepository(UserEntity));
    memberships = new MembershipRepository(db.getRepository(MembershipEntity), db);
    invitations = new InvitationRepository(db.getRepository(InvitationEntity));
    refreshTokens = new RefreshTokenRepository(db.getRepository(RefreshTokenEntity));
    apiKeys = new ApiKeyRepository(db.getRepository(ApiKeyEntity));
  }, 120_000);

  beforeEach(async () => {
    await db.query('TRUNCATE tenants, users CASCADE');
    acme = await tenants.insert('Acme');
    globex = await tenants.insert('Globex');
  });

  afterAll(async () => {
    await db?.destroy();
    await dropDatabase(url);
  });

  describe('TenantRepository', () => {
    it('finds a tenant by id, and by name in any case', async () => {
      expect(await tenants.count()).toBe(2);
      expect((await tenants.findById(acme.id))?.name).toBe('Acme');
      expect((await tenants.findByName('gLOBEX'))?.id).toBe(globex.id);
      expect(await tenants.findById('ten_missing')).toBeNull();
      expect(await tenants.findByName('Acme Corp')).toBeNull();
    });

    it('refuses a second tenant of the same name in another case, through tenants_name_ci', async () => {
      expect(await constraintOf(tenants.insert('ACME'))).toBe('tenants_name_ci');
      expect(await tenants.count()).toBe(2);
    });
  });

  describe('UserRepository', () => {
    it('creates an enabled account at generation 0, found by e-mail in any case', async () => {
      const ada = await user('Ada@Acme.test');
      expect(ada).toMatchObject({ disabled: false, tokenGeneration: 0, lastLoginAt: null });
      expect((await users.findByEmail('ada@ACME.TEST'))?.id).toBe(ada.id);
      expect(await users.findByEmail('ada@acme.tes')).toBeNull();
    });

    it('raises users_email_ci for an e-mail taken in another case (the invitation service retries on it)', async () => {
      await user('ada@acme.test');
      expect(await constraintOf(user('ADA@acme.test'))).toBe('users_email_ci');
    });

    it('changes only the fields given, and bumps the token generation by one each time', async () => {
      const ada = await user('ada@acme.test');
      await users.update(ada.id, { name: 'Ada L' });
      await users.bumpTokenGeneration(ada.id);
      await users.bumpTokenGeneration(ada.id);
      expect(await users.findById(ada.id)).toMatchObject({ name: 'Ada L', passwordHash: 'hash', tokenGeneration: 2 });
    });

    it('deletes an account only when no tenant is left to it', async () => {
      const shared = await member(acme, 'sam@acme.test', 'viewer');
      await memberships.insert(globex.id, shared.id, 'editor');
      const lonely = await user('lonely@acme.test');
      await db.transaction(async (manager) => {
        await users.deleteIfOrphaned(shared.id, manager);
        await users.deleteIfOrphaned(lonely.id, manager);
      });
      expect(await users.findById(shared.id)).not.toBeNull();
      expect(await users.findById(lonely.id)).toBeNull();
    });
  });

  describe('MembershipRepository', () => {
    it('finds a member of its own tenant only, with the account', async () => {
      const erin = await member(acme, 'erin@acme.test', 'editor');
      expect(await memberships.findMember(acme.id, erin.id)).toMatchObject({
        role: 'editor',
        user: { id: erin.id, email: 'erin@acme.test' },
      });
      expect(await memberships.findMember(globex.id, erin.id)).toBeNull();
    });

    it('lists the tenants of an account, oldest membership first, with each tenant', async () => {
      const sam = await member(globex, 'sam@acme.test', 'viewer');
      await memberships.insert(acme.id, sam.id, 'admin');
      await db.query(`UPDATE memberships SET created_at = now() - interval '1 day' WHERE tenant_id = $1`, [globex.id]);
      const all = await memberships.listForUser(sam.id);
      expect(all.map((m) => [m.tenant?.name, m.role])).toEqual([
        ['Globex', 'viewer'],
        ['Acme', 'admin'],
      ]);
    });

    it('pages the members of one tenant, newest first, with the total over every page', async () => {
      const ids: string[] = [];
      for (const [i, email] of ['a@acme.test', 'b@acme.test', 'c@acme.test'].entries()) {
        const u = await member(acme, email, 'viewer');
        await db.query(`UPDATE memberships SET created_at = $2 WHERE user_id = $1`, [
          u.id,
          `2026-01-0${i + 1}T00:00:00Z`,
        ]);
        ids.push(u.id);
      }
      await member(globex, 'd@globex.test', 'viewer');

      const [first, total] = await memberships.page(acme.id, {}, 2);
      expect(total).toBe(3);
      // limit + 1 rows: the extra one says that another page follows.
      expect(first.map((m) => m.userId)).toEqual([ids[2], ids[1], ids[0]]);
      const [rest, sameTotal] = await memberships.page(acme.id, {}, 2, { createdAt: first[1].createdAt, id: ids[1] });
      expect(rest.map((m) => m.userId)).toEqual([ids[0]]);
      expect(sameTotal).toBe(3);
    });

    it('filters by role and by text in the e-mail or name, taking % and _ literally', async () => {
      await member(acme, 'erin@acme.test', 'editor');
      await member(acme, 'vic_100%@acme.test', 'viewer');
      await member(acme, 'vicx100x@acme.test', 'viewer');
      await member(globex, 'erin@globex.test', 'editor');

      const emails = async (filter: { q?: string; role?: Role }) =>
        (await memberships.page(acme.id, filter, 10))[0].map((m) => m.user.email).sort();
      expect(await emails({ role: 'editor' })).toEqual(['erin@acme.test']);
      expect(await emails({ q: 'ERIN' })).toEqual(['erin@acme.test']);
      expect(await emails({ q: 'c_1' })).toEqual(['vic_100%@acme.test']);
      expect(await emails({ q: '100%' })).toEqual(['vic_100%@acme.test']);
      expect(await emails({ q: '%' })).toEqual(['vic_100%@acme.test']);
    });

    it('counts the active admins of one tenant: not disabled ones, not those of another tenant', async () => {
      await member(acme, 'ada@acme.test', 'admin');
      await member(acme, 'old@acme.test', 'admin', { disabled: true });
      await member(acme, 'erin@acme.test', 'editor');
      await member(globex, 'boss@globex.test', 'admin');
      expect(await db.transaction((m) => memberships.countActiveAdmins(acme.id, m))).toBe(1);
      expect(await db.transaction((m) => memberships.countActiveAdmins(globex.id, m))).toBe(1);
    });

    it('changes and deletes a membership in its own tenant only', async () => {
      const sam = await member(acme, 'sam@acme.test', 'viewer');
      await memberships.insert(globex.id, sam.id, 'viewer');
      await db.transaction(async (m) => {
        expect(await memberships.countTenantsOf(sam.id, m)).toBe(2);
        await memberships.updateRole(acme.id, sam.id, 'admin', m);
        await memberships.delete(globex.id, sam.id, m);
      });
      expect((await memberships.findMember(acme.id, sam.id))?.role).toBe('admin');
      expect(await memberships.findMember(globex.id, sam.id)).toBeNull();
    });

    it('refuses a role outside admin, editor and viewer', async () => {
      const u = await user('x@acme.test');
      await expect(memberships.insert(acme.id, u.id, 'owner' as Role)).rejects.toThrow(/check constraint/);
    });

    it('makes a second holder of the tenant lock wait for the first, and rolls back on error', async () => {
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const first = memberships.withTenantLock(acme.id, async () => {
        order.push('first in');
        await held;
        order.push('first out');
      });
      await new Promise((r) => setTimeout(r, 100));
      const second = memberships.withTenantLock(acme.id, async () => void order.push('second in'));
      const otherTenant = memberships.withTenantLock(globex.id, async () => void order.push('globex in'));
      await otherTenant;
      await new Promise((r) => setTimeout(r, 200));
      release();
      await Promise.all([first, second]);
      expect(order).toEqual(['first in', 'globex in', 'first out', 'second in']);

      const u = await user('gone@acme.test');
      await expect(
        memberships.withTenantLock(acme.id, async (m) => {
          await memberships.insert(acme.id, u.id, 'admin', m);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await memberships.findMember(acme.id, u.id)).toBeNull();
    });
  });

  describe('InvitationRepository', () => {
    const invite = (tenant: TenantEntity, email: string, extra: Partial<InvitationEntity> = {}) =>
      invitations.insert({
        id: newId('invitation'),
        tenantId: tenant.id,
        email,
        role: 'editor',
        invitedBy: null,
        createdUserId: null,
        expiresAt: new Date(Date.now() + 86_400_000),
        ...extra,
      });
    const answer = (id: string, status: 'accepted' | 'declined' | 'revoked') =>
      db.transaction((m) => invitations.answer(id, status, new Date(), m));

    it('finds an invitation in its own tenant only', async () => {
      const inv = await invite(acme, 'erin@acme.test');
      expect(inv).toMatchObject({ status: 'pending', respondedAt: null });
      expect((await invitations.findInTenant(acme.id, inv.id))?.email).toBe('erin@acme.test');
      expect(await invitations.findInTenant(globex.id, inv.id)).toBeNull();
    });

    it('finds the pending invitation of an e-mail in a tenant, in any case, and not an answered one', async () => {
      const inv = await invite(acme, 'Erin@acme.test');
      expect((await invitations.findPendingInTenantByEmail(acme.id, 'erin@ACME.test'))?.id).toBe(inv.id);
      expect(await invitations.findPendingInTenantByEmail(globex.id, 'erin@acme.test')).toBeNull();
      await answer(inv.id, 'declined');
      expect(await invitations.findPendingInTenantByEmail(acme.id, 'erin@acme.test')).toBeNull();
    });

    it('allows one pending invitation per e-mail and tenant (invitations_pending_email), again once answered', async () => {
      const inv = await invite(acme, 'erin@acme.test');
      expect(await constraintOf(invite(acme, 'ERIN@acme.test'))).toBe('invitations_pending_email');
      await expect(invite(globex, 'erin@acme.test')).resolves.toBeDefined();
      await answer(inv.id, 'revoked');
      await expect(invite(acme, 'erin@acme.test')).resolves.toBeDefined();
    });

    it('pages the invitations of one tenant, by status, newest first', async () => {
      const a = await invite(acme, 'a@acme.test');
      const b = await invite(acme, 'b@acme.test');
      const c = await invite(acme, 'c@acme.test');
      await invite(globex, 'd@globex.test');
      for (const [i, inv] of [a, b, c].entries()) {
        await createdAt('invitations', 'id', inv.id, `2026-01-0${i + 1}T00:00:00Z`);
      }
      await answer(b.id, 'accepted');

      const [all, total] = await invitations.page(acme.id, undefined, 10);
      expect([all.map((i) => i.id), total]).toEqual([[c.id, b.id, a.id], 3]);
      const [pending, pendingTotal] = await invitations.page(acme.id, 'pending', 1);
      expect([pending.map((i) => i.id), pendingTotal]).toEqual([[c.id, a.id], 2]);
      const [after] = await invitations.page(acme.id, 'pending', 1, { createdAt: pending[0].createdAt, id: c.id });
      expect(after.map((i) => i.id)).toEqual([a.id]);
    });

    it("lists an e-mail's pending, unexpired invitations across tenants, with the tenant", async () => {
      const fromAcme = await invite(acme, 'sam@corp.test');
      const fromGlobex = await invite(globex, 'SAM@corp.test');
      const initech = await tenants.insert('Initech');
      const expired = await invite(initech, 'sam@corp.test', { expiresAt: new Date(Date.now() - 1000) });
      const hooli = await tenants.insert('Hooli');
      const declined = await invite(hooli, 'sam@corp.test');
      await answer(declined.id, 'declined');
      await invite(acme, 'someone@else.test');
      await createdAt('invitations', 'id', fromAcme.id, '2026-01-01T00:00:00Z');

      const rows = await invitations.listPendingFor('Sam@Corp.test', new Date());
      expect(rows.map((i) => [i.id, i.tenant?.name])).toEqual([
        [fromGlobex.id, 'Globex'],
        [fromAcme.id, 'Acme'],
      ]);
      expect(rows.map((i) => i.id)).not.toContain(expired.id);
    });

    it('locks an invitation for its invitee only, and lists the pending ones that created an account', async () => {
      const erin = await user('erin@acme.test');
      const created = await invite(acme, 'erin@acme.test', { createdUserId: erin.id });
      const other = await invite(globex, 'erin@acme.test', { createdUserId: erin.id });
      await answer(other.id, 'declined');
      await db.transaction(async (m) => {
        expect((await invitations.findForInviteeLocked(m, 'ERIN@acme.test', created.id))?.id).toBe(created.id);
        expect(await invitations.findForInviteeLocked(m, 'vic@acme.test', created.id)).toBeNull();
        expect((await invitations.listPendingCreatedFor(erin.id, m)).map((i) => i.id)).toEqual([created.id]);
      });
      expect((await invitations.findWithTenant(created.id))?.tenant?.name).toBe('Acme');
    });
  });

  describe('RefreshTokenRepository', () => {
    const token = async (userId: string, tenantId = acme.id) => {
      const id = newId('refreshToken');
      const tokenHash = id.padEnd(64, '0').slice(0, 64);
      await refreshTokens.insert({ id, userId, tenantId, tokenHash, expiresAt: new Date(Date.now() + 60_000) });
      return { id, tokenHash };
    };

    it('revokes a token once: the second revoke reports the replay', async () => {
      const ada = await user('ada@acme.test');
      const t = await token(ada.id);
      expect((await refreshTokens.findByHash(t.tokenHash))?.revokedAt).toBeNull();
      expect(await refreshTokens.revoke(t.id, new Date())).toBe(true);
      expect(await refreshTokens.revoke(t.id, new Date())).toBe(false);
      expect((await refreshTokens.findByHash(t.tokenHash))?.revokedAt).toBeInstanceOf(Date);
    });

    it("revokes every token of one account, in every tenant, and no one else's", async () => {
      const ada = await user('ada@acme.test');
      const bob = await user('bob@acme.test');
      const mine = [await token(ada.id), await token(ada.id, globex.id)];
      const theirs = await token(bob.id);
      const earlier = new Date(Date.now() - 60_000);
      await refreshTokens.revoke(mine[0].id, earlier);
      await refreshTokens.revokeAllForUser(ada.id, new Date());
      expect((await refreshTokens.findByHash(mine[0].tokenHash))?.revokedAt).toEqual(earlier);
      expect((await refreshTokens.findByHash(mine[1].tokenHash))?.revokedAt).toBeInstanceOf(Date);
      expect((await refreshTokens.findByHash(theirs.tokenHash))?.revokedAt).toBeNull();
    });
  });

  describe('ApiKeyRepository', () => {
    const key = (tenant: TenantEntity, name: string) => {
      const id = newId('apiKey');
      return apiKeys.insert({
        id,
        tenantId: tenant.id,
        name,
        role: 'viewer',
        prefix: 'sk_abcdefgh',
        keyHash: id.padEnd(64, 'f').slice(0, 64),
        createdBy: null,
        expiresAt: null,
      });
    };

    it('finds a key in its own tenant only; by hash in any tenant', async () => {
      const k = await key(acme, 'ci');
      expect((await apiKeys.findOne(acme.id, k.id))?.name).toBe('ci');
      expect(await apiKeys.findOne(globex.id, k.id)).toBeNull();
      expect((await apiKeys.findByHash(k.keyHash))?.tenantId).toBe(acme.id);
    });

    it('revokes in its own tenant only, and keeps the first revocation time', async () => {
      const k = await key(acme, 'ci');
      await apiKeys.revoke(globex.id, k.id, new Date());
      expect((await apiKeys.findOne(acme.id, k.id))?.revokedAt).toBeNull();
      const first = new Date('2026-01-01T00:00:00Z');
      await apiKeys.revoke(acme.id, k.id, first);
      await apiKeys.revoke(acme.id, k.id, new Date());
      expect((await apiKeys.findOne(acme.id, k.id))?.revokedAt).toEqual(first);
    });

    it('records the last use', async () => {
      const k = await key(acme, 'ci');
      const at = new Date('2026-02-01T00:00:00Z');
      await apiKeys.touch(k.id, at);
      expect((await apiKeys.findOne(acme.id, k.id))?.lastUsedAt).toEqual(at);
    });

    it("pages one tenant's keys newest first, without revoked ones unless asked", async () => {
      const a = await key(acme, 'a');
      const b = await key(acme, 'b');
      const c = await key(acme, 'c');
      await key(globex, 'theirs');
      for (const [i, k] of [a, b, c].entries()) await createdAt('api_keys', 'id', k.id, `2026-01-0${i + 1}T00:00:00Z`);
      await apiKeys.revoke(acme.id, b.id, new Date());

      const [live, liveTotal] = await apiKeys.page(acme.id, false, 10);
      expect([live.map((k) => k.name), liveTotal]).toEqual([['c', 'a'], 2]);
      const [all, total] = await apiKeys.page(acme.id, true, 1);
      expect([all.map((k) => k.name), total]).toEqual([['c', 'b'], 3]);
      const [next] = await apiKeys.page(acme.id, true, 1, { createdAt: all[0].createdAt, id: c.id });
      expect(next.map((k) => k.name)).toEqual(['b', 'a']);
    });
  });
});
