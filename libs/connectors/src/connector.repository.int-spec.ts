import type { Keyset } from '@sluice/core';
import { openScratchDatabase, ScratchDatabase, spreadCreatedAt } from '../../../test/helpers/scratch-database';
import { ConnectorEntity } from './connector.entity';
import { mapConnector } from './connector.mapper';
import { ConnectorRepository, NewConnector } from './connector.repository';

const A = 'ten_alpha';
const B = 'ten_bravo';

function connector(tenantId: string, name: string, overrides: Partial<NewConnector> = {}): NewConnector {
  return {
    tenantId,
    name,
    type: 'postgresql',
    role: 'source',
    description: '',
    config: {},
    authMethod: null,
    authConfig: null,
    status: 'active',
    managed: false,
    createdBy: null,
    ...overrides,
  };
}

const after = (row: ConnectorEntity): Keyset => ({ createdAt: row.createdAt, id: row.id });

describe('ConnectorRepository (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let repo: ConnectorRepository;

  beforeAll(async () => {
    scratch = await openScratchDatabase([ConnectorEntity]);
    repo = new ConnectorRepository(scratch.db.getRepository(ConnectorEntity));
  }, 60_000);

  afterAll(() => scratch?.close());

  beforeEach(() => scratch.db.query('DELETE FROM connectors'));

  it('inserts with empty defaults and finds the row only within its tenant', async () => {
    const saved = await repo.insert(connector(A, 'Warehouse', { config: { host: 'db' } }));
    expect(saved).toMatchObject({ tenantId: A, metadata: {}, lastSyncAt: null, config: { host: 'db' } });
    expect(saved.id).toMatch(/^conn_/);
    expect((await repo.findOne(A, saved.id))?.name).toBe('Warehouse');
    expect(await repo.findOne(B, saved.id)).toBeNull();
  });

  it('finds by name without case, within the tenant only', async () => {
    const saved = await repo.insert(connector(A, 'Sales DB'));
    expect((await repo.findByName(A, 'sales db'))?.id).toBe(saved.id);
    expect(await repo.findByName(B, 'Sales DB')).toBeNull();
    expect(await repo.findByName(A, 'Sales')).toBeNull();
  });

  it('refuses a second connector of the same name (any case) in a tenant, not across tenants', async () => {
    await repo.insert(connector(A, 'Warehouse'));
    await expect(repo.insert(connector(A, 'WAREHOUSE'))).rejects.toMatchObject({ code: '23505' });
    await expect(repo.insert(connector(B, 'Warehouse'))).resolves.toMatchObject({ tenantId: B });
  });

  describe('page', () => {
    it('pages newest first with the extra row, and the cursor resumes exactly after the last row', async () => {
      const made = [];
      for (let i = 0; i < 5; i++) made.push((await repo.insert(connector(A, `c${i}`))).id);
      await spreadCreatedAt(scratch.db, 'connectors', made);
      await repo.insert(connector(B, 'other tenant'));
      const [first, total] = await repo.page(A, {}, 2);
      expect(total).toBe(5);
      expect(first.map((c) => c.name)).toEqual(['c4', 'c3', 'c2']);
      const [second] = await repo.page(A, {}, 2, after(first[1]));
      expect(second.map((c) => c.name)).toEqual(['c2', 'c1', 'c0']);
      const [last, stillTotal] = await repo.page(A, {}, 2, after(second[2]));
      expect(last).toEqual([]);
      expect(stillTotal).toBe(5);
    });

    it('reads each row with the values and types of the entity findOne returns', async () => {
      const saved = await repo.insert(
        connector(A, 'Typed', { config: { host: 'db', port: 5432 }, authMethod: 'password', authConfig: 'sealed' }),
      );
      await repo.update(A, saved.id, {
        lastSyncAt: new Date('2026-02-03T04:05:06.789Z'),
        lastSyncRowCount: '12345678901',
        lastError: 'timeout',
        metadata: { tables: 3 },
      });
      // Microseconds, which a Date cannot hold: both reads must drop them the same way.
      await scratch.db.query(
        `UPDATE connectors SET last_tested_at = '2026-02-03T04:05:06.789999Z', created_at = '1969-12-31T23:59:59.999500Z' WHERE id = $1`,
        [saved.id],
      );
      const [rows, total] = await repo.page(A, {}, 10);
      const found = await repo.findOne(A, saved.id);
      expect(total).toBe(1);
      expect({ ...rows[0] }).toEqual({ ...found });
      expect(rows[0].createdAt).toBeInstanceOf(Date);
      expect(rows[0].lastSyncAt).toEqual(new Date('2026-02-03T04:05:06.789Z'));
      expect(rows[0].lastSyncRowCount).toBe('12345678901');
      expect(rows[0].managed).toBe(false);
      expect(rows[0].lastTestedAt).toEqual(new Date('2026-02-03T04:05:06.789Z'));
      expect(rows[0].lastUsedAt).toBeNull();
    });

    it('answers an empty tenant with no rows and a total of 0', async () => {
      await repo.insert(connector(B, 'elsewhere'));
      expect(await repo.page(A, {}, 10)).toEqual([[], 0]);
    });

    it('orders rows created in the same millisecond by id, so none is skipped or repeated', async () => {
      for (let i = 0; i < 4; i++) await repo.insert(connector(A, `same${i}`));
      await scratch.db.query(`UPDATE connectors SET created_at = '2026-01-01T00:00:00.000Z'`);
      const seen: string[] = [];
      let cursor: Keyset | undefined;
      for (;;) {
        const [rows] = await repo.page(A, {}, 1, cursor);
        if (rows.length === 0) break;
        seen.push(rows[0].id);
        cursor = after(rows[0]);
      }
      const ids = (await scratch.db.query<Array<{ id: string }>>('SELECT id FROM connectors ORDER BY id DESC')).map(
        (r) => r.id,
      );
      expect(seen).toEqual(ids);
    });

    it('filters by type, status and role, and q on name or description without case', async () => {
      await repo.insert(connector(A, 'Orders', { type: 'mysql', description: 'ERP replica' }));
      await repo.insert(connector(A, 'Files', { type: 'folder', status: 'inactive' }));
      await repo.insert(connector(A, 'Export', { role: 'destination', description: 'orders out' }));
      const names = async (filter: Parameters<ConnectorRepository['page']>[1]) =>
        (await repo.page(A, filter, 10))[0].map((c) => c.name).sort();
      expect(await names({ type: 'mysql' })).toEqual(['Orders']);
      expect(await names({ status: 'inactive' })).toEqual(['Files']);
      expect(await names({ role: 'destination' })).toEqual(['Export']);
      expect(await names({ q: 'ORDERS' })).toEqual(['Export', 'Orders']);
      expect(await names({ q: 'erp', type: 'folder' })).toEqual([]);
      expect((await repo.page(B, { q: 'orders' }, 10))[1]).toBe(0);
    });

    it('takes % and _ in q literally', async () => {
      await repo.insert(connector(A, '100% sales'));
      await repo.insert(connector(A, '1000 sales'));
      await repo.insert(connector(A, 'a_b'));
      await repo.insert(connector(A, 'axb'));
      expect((await repo.page(A, { q: '0%' }, 10))[0].map((c) => c.name)).toEqual(['100% sales']);
      expect((await repo.page(A, { q: 'a_b' }, 10))[0].map((c) => c.name)).toEqual(['a_b']);
    });
  });

  describe('pageJson', () => {
    it('writes each row as mapConnector would, credentials aside, in the order and with the total of page', async () => {
      const typed = await repo.insert(
        connector(A, 'Typed "quoted" \\ é 😀\n', {
          description: 'tab\there, <b>&amp;</b>, \u0001 control',
          config: {
            host: 'db',
            port: 5432,
            ratio: 0.1,
            big: 1e21,
            tiny: 1.5e-7,
            nested: { list: [1, 'two', null, true] },
          },
          authMethod: 'password',
          authConfig: 'sealed',
          managed: true,
        }),
      );
      await repo.update(A, typed.id, {
        lastSyncAt: new Date('2026-02-03T04:05:06.789Z'),
        lastSyncRowCount: '12345678901',
        lastError: 'timeout',
        metadata: { tables: 3, 'odd key': { é: [] } },
      });
      // Microseconds, which a Date cannot hold: both reads must drop them the same way.
      await scratch.db.query(
        `UPDATE connectors SET last_tested_at = '2026-02-03T04:05:06.789999Z', created_at = '1969-12-31T23:59:59.999500Z' WHERE id = $1`,
        [typed.id],
      );
      await repo.insert(connector(A, 'Plain'));
      await repo.insert(connector(B, 'other tenant'));

      const [entities, total] = await repo.page(A, {}, 1);
      const json = await repo.pageJson(A, {}, 1);
      expect(json.total).toBe(total);
      expect(json.rows.map((r) => r.id)).toEqual(entities.map((e) => e.id));
      json.rows.forEach((row, i) => {
        const { authConfigured, authConfig, ...expected } = mapConnector(entities[i], {});
        expect([authConfigured, authConfig]).toEqual([false, {}]);
        expect(JSON.parse(row.json)).toStrictEqual(JSON.parse(JSON.stringify(expected)));
        expect(row).toMatchObject({
          tenantId: A,
          authConfig: entities[i].authConfig,
          createdAt: entities[i].createdAt.getTime(),
        });
      });
      const typedRow = JSON.parse((await repo.pageJson(A, { q: 'typed' }, 10)).rows[0].json) as Record<string, unknown>;
      expect(typedRow).toMatchObject({
        lastTestedAt: '2026-02-03T04:05:06.789Z',
        createdAt: '1969-12-31T23:59:59.999Z',
        lastSyncRowCount: 12345678901,
        lastUsedAt: null,
        managed: true,
      });
    });

    it('answers an empty tenant with no rows and a total of 0, and resumes after a cursor', async () => {
      expect(await repo.pageJson(A, {}, 10)).toEqual({ rows: [], total: 0 });
      const made = [];
      for (let i = 0; i < 3; i++) made.push((await repo.insert(connector(A, `c${i}`))).id);
      await spreadCreatedAt(scratch.db, 'connectors', made);
      const first = await repo.pageJson(A, { type: 'postgresql' }, 1);
      expect(first.rows.map((r) => r.id)).toEqual([made[2], made[1]]);
      const cursor = { createdAt: new Date(first.rows[0].createdAt), id: first.rows[0].id };
      const rest = await repo.pageJson(A, {}, 5, cursor);
      expect(rest).toMatchObject({ total: 3 });
      expect(rest.rows.map((r) => r.id)).toEqual([made[1], made[0]]);
    });
  });

  describe('update and delete', () => {
    it('changes the row of the tenant only; another tenant update or delete touches nothing', async () => {
      const saved = await repo.insert(connector(A, 'Warehouse'));
      await repo.update(B, saved.id, { name: 'Hijacked', status: 'inactive' });
      await repo.delete(B, saved.id);
      expect(await repo.findOne(A, saved.id)).toMatchObject({ name: 'Warehouse', status: 'active' });
      await repo.update(A, saved.id, { description: 'main', metadata: { lastProbe: { success: true } } });
      expect(await repo.findOne(A, saved.id)).toMatchObject({
        description: 'main',
        metadata: { lastProbe: { success: true } },
      });
      await repo.delete(A, saved.id);
      expect(await repo.findOne(A, saved.id)).toBeNull();
    });

    it('accepts an empty change set as a no-op', async () => {
      const saved = await repo.insert(connector(A, 'Warehouse'));
      await expect(repo.update(A, saved.id, {})).resolves.toBeUndefined();
      expect((await repo.findOne(A, saved.id))?.name).toBe('Warehouse');
    });
  });
});
