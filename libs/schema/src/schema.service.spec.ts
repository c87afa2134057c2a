import { JobName } from '@sluice/core';
import { failure, TENANT_A, TENANT_B } from '../../../test/fakes/common';
import { schemaWorld, table } from '../../../test/fakes/schema';

describe('SchemaService', () => {
  let world: ReturnType<typeof schemaWorld>;
  let sqlId: string;

  beforeEach(() => {
    world = schemaWorld();
    world.source.tables = [table('public', 'orders', ['id', 'total']), table('public', 'customers', ['id', 'name'])];
    sqlId = world.connectors.add({ type: 'postgresql' }).id;
  });

  describe('read', () => {
    it('introspects on the first read, stores the tables sorted by key, then answers from the cache', async () => {
      const first = await world.service.read(TENANT_A, sqlId);
      expect(first.snapshot.tables.map((t) => t.name)).toEqual(['customers', 'orders']);
      expect(first).toMatchObject({ stale: false, version: `${first.snapshot.fingerprint}.0` });
      expect(first.connector.id).toBe(sqlId);
      world.source.tables = [];
      const second = await world.service.read(TENANT_A, sqlId);
      expect(second.snapshot.tables).toHaveLength(2);
      expect(world.source.introspections).toBe(1);
    });

    it('introspects again with refresh, and the fingerprint follows the new tables', async () => {
      const before = await world.service.read(TENANT_A, sqlId);
      world.source.tables.push(table('public', 'invoices', ['id']));
      const after = await world.service.read(TENANT_A, sqlId, true);
      expect(after.snapshot.tables).toHaveLength(3);
      expect(after.snapshot.fingerprint).not.toBe(before.snapshot.fingerprint);
      expect(world.source.introspections).toBe(2);
    });

    it('serves a stale cache as it is, flagged stale, and queues a background refresh', async () => {
      await world.service.read(TENANT_A, sqlId);
      world.repo.snapshots.get(sqlId)!.introspectedAt = new Date(Date.now() - 2 * 3600_000);
      const read = await world.service.read(TENANT_A, sqlId);
      expect(read.stale).toBe(true);
      expect(world.source.introspections).toBe(1);
      expect(world.queue.jobs.map((j) => [j.name, j.data])).toEqual([
        [JobName.RefreshSchema, { tenantId: TENANT_A, connectorId: sqlId }],
      ]);
    });

    it('is 404 for another tenant connector and never introspects it', async () => {
      expect(await failure(world.service.read(TENANT_B, sqlId))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      expect(world.source.introspections).toBe(0);
      expect(world.repo.snapshots.size).toBe(0);
    });

    it('is 400 SCHEMA_NOT_SUPPORTED for a connector without SQL', async () => {
      const folder = world.connectors.add({ type: 'folder' });
      expect(await failure(world.service.read(TENANT_A, folder.id))).toEqual({
        status: 400,
        code: 'SCHEMA_NOT_SUPPORTED',
      });
    });

    it('caches nothing when introspection fails', async () => {
      world.source.fail = new Error('connection refused');
      await expect(world.service.read(TENANT_A, sqlId)).rejects.toThrow('connection refused');
      expect(world.repo.snapshots.size).toBe(0);
    });
  });

  describe('snapshot', () => {
    it('gives other features the cached tables with dialect, database and catalog query count', async () => {
      expect(await world.service.snapshot(TENANT_A, sqlId)).toEqual({
        dialect: 'postgresql',
        database: 'shop',
        tables: [expect.objectContaining({ name: 'customers' }), expect.objectContaining({ name: 'orders' })],
        catalogQueries: 4,
      });
    });
  });

  describe('refresh', () => {
    it('flags annotations whose column went away as orphaned, and clears the flag when it returns', async () => {
      await world.service.read(TENANT_A, sqlId);
      await world.repo.upsertAnnotation({
        id: 'ann_total',
        tenantId: TENANT_A,
        connectorId: sqlId,
        table: 'public.orders',
        column: 'total',
        description: 'Gross amount',
        tags: [],
        context: null,
        orphaned: false,
        createdBy: null,
        updatedBy: null,
      });
      world.source.tables = [table('public', 'orders', ['id']), table('public', 'customers', ['id', 'name'])];
      await world.service.refresh(TENANT_A, sqlId);
      expect(world.repo.annotations.get('ann_total')!.orphaned).toBe(true);
      world.source.tables = [table('public', 'orders', ['id', 'total'])];
      const saved = await world.service.refresh(TENANT_A, sqlId);
      expect(world.repo.annotations.get('ann_total')!.orphaned).toBe(false);
      // The annotations revision counts annotation changes and survives a new introspection.
      expect(saved.annotationsRevision).toBe(1);
    });
  });
});
