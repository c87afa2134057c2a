import { caller, failure, TENANT_B } from '../../../test/fakes/common';
import { schemaWorld, table } from '../../../test/fakes/schema';
import { AnnotationService } from './annotation.service';
import type { SchemaRepository } from './schema.repository';

describe('AnnotationService', () => {
  const alice = caller();
  const bob = caller(TENANT_B);
  let world: ReturnType<typeof schemaWorld>;
  let service: AnnotationService;
  let sqlId: string;

  beforeEach(() => {
    world = schemaWorld();
    world.source.tables = [
      table('public', 'orders', ['id', 'Total']),
      table('public', 'customers', ['id', 'name']),
      table('archive', 'customers', ['id']),
    ];
    service = new AnnotationService(world.service, world.repo as unknown as SchemaRepository);
    sqlId = world.connectors.add({ type: 'postgresql' }).id;
  });

  describe('upsert', () => {
    it('stores a column note under the exact table key and column name, tags without duplicates', async () => {
      const { annotation: saved, created } = await service.upsert(alice, sqlId, {
        table: 'ORDERS',
        column: 'total',
        description: 'Gross amount',
        tags: ['money', 'money', 'kpi'],
      });
      expect(saved).toMatchObject({
        connectorId: sqlId,
        table: 'public.orders',
        column: 'Total',
        description: 'Gross amount',
        tags: ['money', 'kpi'],
        context: null,
        orphaned: false,
      });
      expect(created).toBe(true);
      expect(world.repo.annotations.get(saved.id)).toMatchObject({ tenantId: alice.tenantId, updatedBy: alice.userId });
    });

    it('updates the note of the same table and column instead of adding a second one', async () => {
      const first = await service.upsert(alice, sqlId, { table: 'public.orders', description: 'v1' });
      const second = await service.upsert(alice, sqlId, { table: 'orders', description: 'v2', context: 'ctx' });
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.annotation).toMatchObject({
        id: first.annotation.id,
        column: null,
        description: 'v2',
        context: 'ctx',
      });
      expect(world.repo.annotations.size).toBe(1);
    });

    it('bumps the schema version, so caches built on it are rebuilt', async () => {
      const before = (await world.service.read(alice.tenantId, sqlId)).version;
      await service.upsert(alice, sqlId, { table: 'orders', description: 'x' });
      expect((await world.service.read(alice.tenantId, sqlId)).version).not.toBe(before);
    });

    it('refuses a table the schema lacks, or one named ambiguously (400 UNKNOWN_TABLE)', async () => {
      expect(await failure(service.upsert(alice, sqlId, { table: 'ordres' }))).toEqual({
        status: 400,
        code: 'UNKNOWN_TABLE',
      });
      // customers exists in two schemas: the bare name is not enough.
      expect(await failure(service.upsert(alice, sqlId, { table: 'customers' }))).toEqual({
        status: 400,
        code: 'UNKNOWN_TABLE',
      });
      expect(world.repo.annotations.size).toBe(0);
    });

    it('refuses a column the table lacks (400 UNKNOWN_COLUMN)', async () => {
      expect(await failure(service.upsert(alice, sqlId, { table: 'orders', column: 'amount' }))).toEqual({
        status: 400,
        code: 'UNKNOWN_COLUMN',
      });
    });

    it('is 404 for another tenant connector', async () => {
      expect(await failure(service.upsert(bob, sqlId, { table: 'orders' }))).toEqual({
        status: 404,
        code: 'CONNECTOR_NOT_FOUND',
      });
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await service.upsert(alice, sqlId, { table: 'orders', description: 'table' });
      await service.upsert(alice, sqlId, { table: 'orders', column: 'id', description: 'id' });
      await service.upsert(alice, sqlId, { table: 'public.customers', description: 'people' });
    });

    it('lists by table then column, the table note after its columns', async () => {
      const { data } = await service.list(alice, sqlId, {});
      expect(data.map((a) => [a.table, a.column])).toEqual([
        ['public.customers', null],
        ['public.orders', 'id'],
        ['public.orders', null],
      ]);
    });

    it('resolves a bare table name against the cached schema', async () => {
      const { data } = await service.list(alice, sqlId, { table: 'orders' });
      expect(data.map((a) => a.description)).toEqual(['id', 'table']);
    });

    it('filters orphaned notes', async () => {
      world.source.tables = [table('public', 'customers', ['id'])];
      await world.service.refresh(alice.tenantId, sqlId);
      expect((await service.list(alice, sqlId, { orphaned: true })).data.map((a) => a.description)).toEqual([
        'id',
        'table',
      ]);
      expect((await service.list(alice, sqlId, { orphaned: false })).data.map((a) => a.description)).toEqual([
        'people',
      ]);
    });

    it('is 404 for another tenant connector', async () => {
      expect(await failure(service.list(bob, sqlId, {}))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
    });
  });

  describe('remove', () => {
    it('deletes the note; a second delete is 404 ANNOTATION_NOT_FOUND', async () => {
      const { annotation: note } = await service.upsert(alice, sqlId, { table: 'orders' });
      await service.remove(alice, sqlId, note.id);
      expect(world.repo.annotations.size).toBe(0);
      expect(await failure(service.remove(alice, sqlId, note.id))).toEqual({
        status: 404,
        code: 'ANNOTATION_NOT_FOUND',
      });
    });

    it('keeps a note another tenant tried to delete, and another connector cannot reach it', async () => {
      const { annotation: note } = await service.upsert(alice, sqlId, { table: 'orders' });
      expect(await failure(service.remove(bob, sqlId, note.id))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      const other = world.connectors.add({ type: 'postgresql' });
      expect(await failure(service.remove(alice, other.id, note.id))).toEqual({
        status: 404,
        code: 'ANNOTATION_NOT_FOUND',
      });
      expect(world.repo.annotations.has(note.id)).toBe(true);
    });
  });
});
