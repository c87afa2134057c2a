import type { TableInfo } from '@sluice/connectors';
import { newId } from '@sluice/core';
import { insertConnector, openScratchDatabase, ScratchDatabase } from '../../../test/helpers/scratch-database';
import { SchemaAnnotationEntity } from './schema-annotation.entity';
import { SchemaSnapshotEntity } from './schema-snapshot.entity';
import { SchemaRepository } from './schema.repository';

const A = 'ten_alpha';
const B = 'ten_bravo';

const table = (name: string, columns: string[]): TableInfo => ({
  schema: 'public',
  name,
  kind: 'table',
  comment: null,
  rowEstimate: 10,
  columns: columns.map((c) => ({
    name: c,
    type: 'int',
    nullable: false,
    default: null,
    primaryKey: false,
    comment: null,
  })),
  primaryKey: [],
  foreignKeys: [],
});

describe('SchemaRepository (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let repo: SchemaRepository;
  let conA: string;
  let conB: string;

  beforeAll(async () => {
    scratch = await openScratchDatabase([SchemaSnapshotEntity, SchemaAnnotationEntity]);
    repo = new SchemaRepository(
      scratch.db.getRepository(SchemaSnapshotEntity),
      scratch.db.getRepository(SchemaAnnotationEntity),
      scratch.db,
    );
  }, 60_000);

  afterAll(() => scratch?.close());

  beforeEach(async () => {
    await scratch.db.query('DELETE FROM connectors');
    conA = await insertConnector(scratch.db, A);
    conB = await insertConnector(scratch.db, B);
  });

  const save = (connectorId: string, tenantId: string, tables: TableInfo[], orphaned: Set<string> = new Set()) =>
    repo.saveSnapshot(
      {
        connectorId,
        tenantId,
        dialect: 'postgresql',
        database: 'shop',
        tables,
        fingerprint: `fp-${tables.length}`,
        catalogQueries: 4,
        introspectedAt: new Date('2026-04-01T00:00:00Z'),
      },
      () => orphaned,
    );

  const annotate = (
    connectorId: string,
    tenantId: string,
    tableName: string,
    column: string | null,
    description = 'd',
  ) =>
    repo.upsertAnnotation({
      id: newId('annotation'),
      tenantId,
      connectorId,
      table: tableName,
      column,
      description,
      tags: ['kpi'],
      context: null,
      orphaned: false,
      createdBy: null,
      updatedBy: null,
    });

  describe('snapshots', () => {
    it('stores a snapshot, replaces it on the next save, and finds it only for its tenant', async () => {
      const first = await save(conA, A, [table('orders', ['id'])]);
      expect(first).toMatchObject({
        connectorId: conA,
        fingerprint: 'fp-1',
        annotationsRevision: 0,
        catalogQueries: 4,
      });
      expect(first.tables[0].columns[0].name).toBe('id');
      const second = await save(conA, A, [table('orders', ['id']), table('customers', ['id'])]);
      expect(second.tables).toHaveLength(2);
      expect((await scratch.db.query('SELECT connector_id FROM schema_snapshots')).length).toBe(1);
      expect((await repo.findSnapshot(A, conA))?.fingerprint).toBe('fp-2');
      expect(await repo.findSnapshot(B, conA)).toBeNull();
      expect(await repo.findSnapshot(A, conB)).toBeNull();
    });

    it('stores a large snapshot compressed with lz4 and reads it back whole', async () => {
      const many = Array.from({ length: 200 }, (_, i) => table(`t${i}`, ['id', 'name', 'created_at']));
      await save(conA, A, many);
      const [row] = await scratch.db.query(
        'SELECT pg_column_compression(tables) AS method FROM schema_snapshots WHERE connector_id = $1',
        [conA],
      );
      expect(row.method).toBe('lz4');
      expect((await repo.findSnapshot(A, conA))!.tables).toEqual(many);
    });

    it("refuses to overwrite another tenant's snapshot or annotation through its connector id", async () => {
      await save(conA, A, [table('orders', ['id'])]);
      const note = await annotate(conA, A, 'public.orders', null, 'mine');
      await expect(save(conA, B, [])).rejects.toMatchObject({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      await expect(annotate(conA, B, 'public.orders', null, 'theirs')).rejects.toMatchObject({
        status: 404,
        code: 'CONNECTOR_NOT_FOUND',
      });
      expect((await repo.findSnapshot(A, conA))!.tables).toHaveLength(1);
      expect((await repo.findAnnotation(A, conA, note.id))!.description).toBe('mine');
    });

    it('keeps the annotations revision across a new introspection', async () => {
      await save(conA, A, [table('orders', ['id'])]);
      await annotate(conA, A, 'public.orders', null);
      await annotate(conA, A, 'public.orders', 'id');
      expect((await repo.findSnapshot(A, conA))!.annotationsRevision).toBe(2);
      expect((await save(conA, A, [table('orders', ['id'])])).annotationsRevision).toBe(2);
    });

    it('leaves the stored tables as they are when the contents hash is the same, and records the rest', async () => {
      const saveHashed = (tables: TableInfo[], contentsHash: string, at: string, tenantId = A) =>
        repo.saveSnapshot(
          {
            connectorId: conA,
            tenantId,
            dialect: 'postgresql',
            database: 'shop',
            tables,
            fingerprint: `fp-${tables.length}`,
            contentsHash,
            catalogQueries: 3,
            introspectedAt: new Date(at),
          },
          () => new Set(),
        );
      const first = await saveHashed([table('orders', ['id'])], 'h1', '2026-04-01T00:00:00Z');
      expect(first).toMatchObject({ contentsHash: 'h1', annotationsRevision: 0 });
      // A hash equal to the stored one stands for equal tables: these are not written.
      const again = await saveHashed([table('customers', ['id']), table('x', ['id'])], 'h1', '2026-04-02T00:00:00Z');
      expect(again.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
      let stored = (await repo.findSnapshot(A, conA))!;
      expect(stored.tables.map((t) => t.name)).toEqual(['orders']);
      expect(stored).toMatchObject({ contentsHash: 'h1', fingerprint: 'fp-2', catalogQueries: 3 });
      expect(stored.introspectedAt.toISOString()).toBe('2026-04-02T00:00:00.000Z');
      // Another tenant cannot refresh the row through the same hash.
      await expect(saveHashed([], 'h1', '2026-04-03T00:00:00Z', B)).rejects.toMatchObject({ status: 404 });
      // A new hash writes the tables; no hash at all always writes them.
      await saveHashed([table('customers', ['id'])], 'h2', '2026-04-04T00:00:00Z');
      stored = (await repo.findSnapshot(A, conA))!;
      expect(stored.tables.map((t) => t.name)).toEqual(['customers']);
      expect(stored.contentsHash).toBe('h2');
      await save(conA, A, [table('orders', ['id'])]);
      stored = (await repo.findSnapshot(A, conA))!;
      expect(stored.tables.map((t) => t.name)).toEqual(['orders']);
      expect(stored.contentsHash).toBeNull();
    });

    it('flags exactly the annotations the judge names as orphaned, and clears the flag later', async () => {
      await save(conA, A, [table('orders', ['id', 'total'])]);
      const total = await annotate(conA, A, 'public.orders', 'total');
      const kept = await annotate(conA, A, 'public.orders', 'id');
      const theirs = await annotate(conB, B, 'public.orders', 'total');
      let judged: string[] = [];
      await repo.saveSnapshot(
        {
          connectorId: conA,
          tenantId: A,
          dialect: 'postgresql',
          database: 'shop',
          tables: [table('orders', ['id'])],
          fingerprint: 'fp-x',
          catalogQueries: 4,
          introspectedAt: new Date(),
        },
        (annotations) => {
          judged = annotations.map((a) => a.id).sort();
          return new Set([total.id]);
        },
      );
      // The judge sees the annotations of this connector only.
      expect(judged).toEqual([total.id, kept.id].sort());
      expect((await repo.findAnnotation(A, conA, total.id))!.orphaned).toBe(true);
      expect((await repo.findAnnotation(A, conA, kept.id))!.orphaned).toBe(false);
      expect((await repo.findAnnotation(B, conB, theirs.id))!.orphaned).toBe(false);
      await save(conA, A, [table('orders', ['id', 'total'])]);
      expect((await repo.findAnnotation(A, conA, total.id))!.orphaned).toBe(false);
    });
  });

  describe('annotations', () => {
    it('upserts one annotation per table or column: a second write updates it and un-orphans it', async () => {
      await save(conA, A, [table('orders', ['id'])]);
      const first = await annotate(conA, A, 'public.orders', null, 'v1');
      await scratch.db.query('UPDATE schema_annotations SET orphaned = true WHERE id = $1', [first.id]);
      const second = await annotate(conA, A, 'public.orders', null, 'v2');
      expect(second).toMatchObject({ id: first.id, description: 'v2', orphaned: false, tags: ['kpi'] });
      const column = await annotate(conA, A, 'public.orders', 'id', 'key');
      expect(column.id).not.toBe(first.id);
      expect(await repo.listAnnotations(A, conA)).toHaveLength(2);
    });

    it('can annotate before any snapshot exists', async () => {
      await expect(annotate(conA, A, 'public.orders', null)).resolves.toMatchObject({ table: 'public.orders' });
    });

    it('lists by table then column (the table note last), filtered by table and orphaned, per tenant', async () => {
      await save(conA, A, [table('orders', ['id', 'total']), table('customers', ['id'])]);
      await annotate(conA, A, 'public.orders', null);
      await annotate(conA, A, 'public.orders', 'total');
      await annotate(conA, A, 'public.orders', 'id');
      await annotate(conA, A, 'public.customers', null);
      await annotate(conB, B, 'public.orders', null);
      const keys = (rows: SchemaAnnotationEntity[]) => rows.map((a) => `${a.table}.${a.column ?? '*'}`);
      expect(keys(await repo.listAnnotations(A, conA))).toEqual([
        'public.customers.*',
        'public.orders.id',
        'public.orders.total',
        'public.orders.*',
      ]);
      expect(keys(await repo.listAnnotations(A, conA, { table: 'public.customers' }))).toEqual(['public.customers.*']);
      expect(await repo.listAnnotations(A, conA, { orphaned: true })).toEqual([]);
      expect(await repo.listAnnotations(B, conA)).toEqual([]);
    });

    it('deletes within the tenant only, bumping the revision', async () => {
      await save(conA, A, [table('orders', ['id'])]);
      const note = await annotate(conA, A, 'public.orders', null);
      expect(await repo.findAnnotation(B, conA, note.id)).toBeNull();
      await repo.deleteAnnotation(B, conA, note.id);
      expect(await repo.findAnnotation(A, conA, note.id)).not.toBeNull();
      expect((await repo.findSnapshot(A, conA))!.annotationsRevision).toBe(1);
      await repo.deleteAnnotation(A, conA, note.id);
      expect(await repo.findAnnotation(A, conA, note.id)).toBeNull();
      expect((await repo.findSnapshot(A, conA))!.annotationsRevision).toBe(2);
    });
  });
});
