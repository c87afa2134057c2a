import { caller, failure, TENANT_B } from '../../../test/fakes/common';
import { fakePlugin } from '../../../test/fakes/connectors';
import { examplesWorld } from '../../../test/fakes/examples';
import { table } from '../../../test/fakes/schema';
import { normaliseTags } from './example.service';

describe('ExampleService', () => {
  const alice = caller();
  const bob = caller(TENANT_B);
  let world: ReturnType<typeof examplesWorld>;
  let pgId: string;

  beforeEach(() => {
    world = examplesWorld();
    world.source.tables = [table('public', 'orders', ['id', 'total'])];
    world.registry.register('sqlite', fakePlugin(), { dialect: 'sqlite' });
    pgId = world.connectors.add({ type: 'postgresql' }).id;
  });

  const create = (sql = 'SELECT count(*) FROM orders', extra = {}) =>
    world.service.create(alice, { question: '  How many orders?  ', sql, connectorId: pgId, ...extra });

  describe('create', () => {
    it('stores the example in its connector dialect, question trimmed, tags normalised, by the caller', async () => {
      const created = await create('SELECT count(*) FROM orders', { tags: [' Sales', 'sales', '', 'KPI '] });
      expect(created).toMatchObject({
        question: 'How many orders?',
        dialect: 'postgresql',
        connectorId: pgId,
        tags: ['sales', 'kpi'],
        createdBy: alice.userId,
        warnings: [],
      });
      expect(world.examples.rows.get(created.id)).toMatchObject({ tenantId: alice.tenantId });
    });

    it('saves SQL naming tables the schema lacks, with a warning about each', async () => {
      const created = await create('SELECT id FROM ghosts');
      expect(created.warnings.join(' ')).toContain('ghosts');
      expect(world.examples.rows.has(created.id)).toBe(true);
    });

    it('saves the example with a warning when the schema cannot be read', async () => {
      world.source.fail = new Error('connection refused');
      const created = await create();
      expect(created.warnings).toEqual([
        "Tables and columns were not checked: the connector's schema could not be read",
      ]);
    });

    it('needs a dialect without a connector (400 VALIDATION_FAILED), and takes it as sent', async () => {
      expect(await failure(world.service.create(alice, { question: 'q', sql: 'SELECT 1' }))).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      const free = await world.service.create(alice, { question: 'q', sql: 'SELECT 1', dialect: 'mysql' });
      expect(free).toMatchObject({ connectorId: null, dialect: 'mysql', warnings: [] });
    });

    it('refuses a dialect other than the connector one (400 DIALECT_MISMATCH)', async () => {
      expect(await failure(create('SELECT 1', { dialect: 'mysql' }))).toEqual({
        status: 400,
        code: 'DIALECT_MISMATCH',
      });
    });

    it('refuses a connector without SQL (400 CONNECTOR_NOT_SQL) and another tenant one (404)', async () => {
      const folder = world.connectors.add({ type: 'folder' });
      expect(await failure(create('SELECT 1', { connectorId: folder.id }))).toEqual({
        status: 400,
        code: 'CONNECTOR_NOT_SQL',
      });
      expect(await failure(world.service.create(bob, { question: 'q', sql: 'SELECT 1', connectorId: pgId }))).toEqual({
        status: 404,
        code: 'CONNECTOR_NOT_FOUND',
      });
      expect(world.examples.rows.size).toBe(0);
    });

    it('refuses more than one statement (400 SQL_MULTIPLE_STATEMENTS)', async () => {
      expect(await failure(create('SELECT 1; SELECT 2'))).toEqual({ status: 400, code: 'SQL_MULTIPLE_STATEMENTS' });
      expect(world.examples.rows.size).toBe(0);
    });
  });

  describe('list and get', () => {
    it('filters by connector, tag (any case) and q, and pages newest first', async () => {
      const a = await create('SELECT count(*) FROM orders', { tags: ['sales'] });
      const b = await create('SELECT sum(total) FROM orders', { tags: ['finance'] });
      const c = await world.service.create(alice, { question: 'Revenue?', sql: 'SELECT 1', dialect: 'sqlite' });
      await world.service.create(bob, { question: 'Revenue?', sql: 'SELECT 1', dialect: 'sqlite' });

      const page = await world.service.list(alice, { limit: 2 });
      expect(page.data.map((e) => e.id)).toEqual([c.id, b.id]);
      expect(page.pagination).toMatchObject({ total: 3, hasMore: true });
      const rest = await world.service.list(alice, { limit: 2, cursor: page.pagination.nextCursor! });
      expect(rest.data.map((e) => e.id)).toEqual([a.id]);

      expect((await world.service.list(alice, { connectorId: pgId })).data.map((e) => e.id)).toEqual([b.id, a.id]);
      expect((await world.service.list(alice, { tag: ' SALES ' })).data.map((e) => e.id)).toEqual([a.id]);
      expect((await world.service.list(alice, { q: 'SUM(' })).data.map((e) => e.id)).toEqual([b.id]);
      expect((await world.service.list(bob, {})).pagination.total).toBe(1);
    });

    it('is 404 EXAMPLE_NOT_FOUND for another tenant example', async () => {
      const created = await create();
      expect((await world.service.get(alice, created.id)).id).toBe(created.id);
      expect(await failure(world.service.get(bob, created.id))).toEqual({ status: 404, code: 'EXAMPLE_NOT_FOUND' });
    });
  });

  describe('update', () => {
    it('changes the fields sent and keeps the others', async () => {
      const created = await create('SELECT count(*) FROM orders', { tags: ['a'] });
      const updated = await world.service.update(alice, created.id, { question: ' Orders? ', tags: ['B', 'b'] });
      expect(updated).toMatchObject({
        question: 'Orders?',
        tags: ['b'],
        sql: 'SELECT count(*) FROM orders',
        dialect: 'postgresql',
        connectorId: pgId,
      });
    });

    it('detaching from the connector keeps the dialect; a new connector brings its own', async () => {
      const created = await create();
      expect(await world.service.update(alice, created.id, { connectorId: null })).toMatchObject({
        connectorId: null,
        dialect: 'postgresql',
      });
      const lite = world.connectors.add({ type: 'sqlite' });
      const moved = await world.service.update(alice, created.id, { connectorId: lite.id });
      expect(moved).toMatchObject({ connectorId: lite.id, dialect: 'sqlite' });
      // The sqlite type has no schema here: the check is advice, so the move is saved with a warning.
      expect(moved.warnings).toHaveLength(1);
    });

    it('checks the new SQL again and leaves the stored example alone when it is refused', async () => {
      const created = await create();
      expect(await failure(world.service.update(alice, created.id, { sql: 'SELECT 1; SELECT 2' }))).toEqual({
        status: 400,
        code: 'SQL_MULTIPLE_STATEMENTS',
      });
      expect(world.examples.rows.get(created.id)!.sql).toBe('SELECT count(*) FROM orders');
    });

    it('is 404 for another tenant example, which stays as it was', async () => {
      const created = await create();
      expect(await failure(world.service.update(bob, created.id, { question: 'mine now' }))).toEqual({
        status: 404,
        code: 'EXAMPLE_NOT_FOUND',
      });
      expect(world.examples.rows.get(created.id)!.question).toBe('How many orders?');
    });
  });

  describe('remove', () => {
    it('deletes the example; a second delete, or another tenant delete, is 404', async () => {
      const mine = await create();
      const kept = await create();
      expect(await failure(world.service.remove(bob, kept.id))).toEqual({ status: 404, code: 'EXAMPLE_NOT_FOUND' });
      await world.service.remove(alice, mine.id);
      expect(await failure(world.service.remove(alice, mine.id))).toEqual({ status: 404, code: 'EXAMPLE_NOT_FOUND' });
      expect([...world.examples.rows.keys()]).toEqual([kept.id]);
    });
  });

  describe('normaliseTags', () => {
    it('trims, lower-cases, drops empties and duplicates, keeping the first order', () => {
      expect(normaliseTags([' B', 'a', 'b ', '  '])).toEqual(['b', 'a']);
      expect(normaliseTags(undefined)).toEqual([]);
    });
  });
});
