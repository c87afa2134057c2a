import { caller, failure, TENANT_B } from '../../../test/fakes/common';
import { column, schemaWorld, table } from '../../../test/fakes/schema';
import { AnnotationService } from './annotation.service';
import type { SchemaRepository } from './schema.repository';
import { SchemaViewService } from './schema-view.service';

describe('SchemaViewService', () => {
  const alice = caller();
  const bob = caller(TENANT_B);
  let world: ReturnType<typeof schemaWorld>;
  let annotations: AnnotationService;
  let trained: Set<string>;
  let view: SchemaViewService;
  let sqlId: string;

  beforeEach(async () => {
    world = schemaWorld();
    world.source.tables = [
      table('public', 'orders', ['id', 'customer_id'], {
        comment: 'One row per order',
        foreignKeys: [
          {
            name: 'orders_customer_fk',
            columns: ['customer_id'],
            referencedSchema: 'public',
            referencedTable: 'customers',
            referencedColumns: ['id'],
          },
        ],
      }),
      table('public', 'customers', [], { columns: [column('id'), column('email', { comment: 'Login' })] }),
      table('public', 'invoices', ['id']),
      table('public', 'audit_log', ['id']),
    ];
    trained = new Set(['public.orders']);
    const repo = world.repo as unknown as SchemaRepository;
    annotations = new AnnotationService(world.service, repo);
    view = new SchemaViewService(world.service, repo, {
      trainedTables: async (tenantId: string) => (tenantId === alice.tenantId ? trained : new Set()),
    });
    sqlId = world.connectors.add({ type: 'postgresql' }).id;
  });

  describe('full', () => {
    it('merges annotations into tables and columns, with the trained flag and the cache header', async () => {
      await annotations.upsert(alice, sqlId, { table: 'customers', description: 'Buyers', tags: ['crm'] });
      await annotations.upsert(alice, sqlId, { table: 'customers', column: 'id', description: 'Customer key' });
      const schema = await view.full(alice, sqlId, { tables: 'customers,orders' });
      expect(schema).toMatchObject({
        connectorId: sqlId,
        dialect: 'postgresql',
        database: 'shop',
        stale: false,
        pagination: { total: 2, hasMore: false, nextCursor: null },
      });
      expect(schema.version).toBe(`${schema.fingerprint}.2`);
      const [customers, orders] = schema.tables;
      expect(customers).toMatchObject({ name: 'customers', description: 'Buyers', tags: ['crm'], trained: false });
      expect(customers.columns.map((c) => [c.name, c.description])).toEqual([
        ['id', 'Customer key'],
        ['email', 'Login'],
      ]);
      expect(orders).toMatchObject({ name: 'orders', description: 'One row per order', tags: [], trained: true });
      expect(schema.relationships).toEqual([
        expect.objectContaining({ fromTable: 'public.orders', toTable: 'public.customers', kind: 'many_to_one' }),
      ]);
    });

    it('leaves orphaned annotations out of the merge', async () => {
      await annotations.upsert(alice, sqlId, { table: 'invoices', description: 'Bills' });
      world.source.tables = world.source.tables.filter((t) => t.name !== 'invoices');
      await world.service.refresh(alice.tenantId, sqlId);
      // The table is back in the cache without the re-judging a refresh does: the note stays orphaned.
      const snapshot = world.repo.snapshots.get(sqlId)!;
      snapshot.tables = [...snapshot.tables, table('public', 'invoices', ['id'])];
      const schema = await view.full(alice, sqlId, { tables: 'invoices' });
      expect(schema.tables[0].description).toBeNull();
    });

    it('pages tables in key order and follows the cursor; relationships only touch the page', async () => {
      const first = await view.full(alice, sqlId, { limit: 2 });
      expect(first.tables.map((t) => t.name)).toEqual(['audit_log', 'customers']);
      expect(first.pagination).toMatchObject({ total: 4, limit: 2, hasMore: true });
      expect(first.relationships.map((r) => r.name)).toEqual(['orders_customer_fk']);
      const second = await view.full(alice, sqlId, { limit: 2, cursor: first.pagination.nextCursor! });
      expect(second.tables.map((t) => t.name)).toEqual(['invoices', 'orders']);
      expect(second.pagination).toMatchObject({ hasMore: false, nextCursor: null });
    });

    it('filters by q over names, comments and annotations', async () => {
      await annotations.upsert(alice, sqlId, { table: 'audit_log', context: 'Compliance trail' });
      expect((await view.full(alice, sqlId, { q: 'COMPLIANCE' })).tables.map((t) => t.name)).toEqual(['audit_log']);
      expect((await view.full(alice, sqlId, { q: 'login' })).tables.map((t) => t.name)).toEqual(['customers']);
    });

    it('introspects again with refresh', async () => {
      await view.full(alice, sqlId, {});
      await view.full(alice, sqlId, { refresh: true });
      expect(world.source.introspections).toBe(2);
    });

    it('is 404 for another tenant connector and 400 for a cursor it never issued', async () => {
      expect(await failure(view.full(bob, sqlId, {}))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      expect(await failure(view.full(alice, sqlId, { cursor: '%%%' }))).toEqual({
        status: 400,
        code: 'INVALID_CURSOR',
      });
    });
  });

  describe('tables', () => {
    it('summarises each table: column count, the annotated description over the comment, trained', async () => {
      await annotations.upsert(alice, sqlId, { table: 'orders', description: 'Orders placed' });
      const { tables, pagination } = await view.tables(alice, sqlId, {});
      expect(pagination.total).toBe(4);
      expect(tables.find((t) => t.name === 'orders')).toEqual({
        schema: 'public',
        name: 'orders',
        kind: 'table',
        columnCount: 2,
        description: 'Orders placed',
        rowEstimate: null,
        trained: true,
      });
      expect(tables.find((t) => t.name === 'invoices')).toMatchObject({ description: null, trained: false });
    });

    it('ignores names in `tables` the schema does not have', async () => {
      const { tables } = await view.tables(alice, sqlId, { tables: 'invoices, nope ,' });
      expect(tables.map((t) => t.name)).toEqual(['invoices']);
    });
  });
});
