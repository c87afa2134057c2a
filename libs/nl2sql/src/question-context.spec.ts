import { caller } from '../../../test/fakes/common';
import { column, schemaWorld, table } from '../../../test/fakes/schema';
import { AnnotationService } from '@sluice/schema';
import type { SchemaRepository } from '../../schema/src/schema.repository';
import { linkSchema } from './context/schema-linker';
import { QuestionContextService } from './question-context';

describe('QuestionContextService.linkables', () => {
  const admin = caller();
  const viewer = caller(admin.tenantId, { role: 'viewer' });
  let world: ReturnType<typeof schemaWorld>;
  let annotations: AnnotationService;
  let trained: Set<string>;
  let contexts: QuestionContextService;
  let sqlId: string;

  beforeEach(() => {
    world = schemaWorld();
    world.source.tables = [
      table('public', 'orders', ['id', 'customer_id'], { comment: 'One row per order' }),
      table('public', 'customers', [], { columns: [column('id'), column('email', { comment: 'Login' })] }),
    ];
    trained = new Set();
    annotations = new AnnotationService(world.service, world.repo as unknown as SchemaRepository);
    contexts = new QuestionContextService(
      world.service,
      annotations,
      {} as never,
      { trainedTables: () => Promise.resolve(trained) },
      {} as never,
    );
    sqlId = world.connectors.add({ type: 'postgresql' }).id;
  });

  const linkables = async (auth = admin) => contexts.linkables(await contexts.load(auth, sqlId));
  const byName = async (name: string, auth = admin) => (await linkables(auth)).find((t) => t.table.name === name)!;

  it('hands the same list to every question while nothing changed', async () => {
    const first = await linkables();
    expect(await linkables()).toBe(first);
  });

  it('takes an annotation change into account at the next question', async () => {
    expect((await byName('orders')).description).toBe('One row per order');
    await annotations.upsert(admin, sqlId, { table: 'orders', description: 'Purchases', tags: ['sales'] });
    expect(await byName('orders')).toMatchObject({ description: 'Purchases', tags: ['sales'] });
    const linked = linkSchema('purchases', await linkables(), { tokenBudget: 10_000 });
    expect(linked.ddl).toContain('-- Purchases');

    const notes = await annotations.list(admin, sqlId, {});
    await annotations.remove(admin, sqlId, notes.data[0].id);
    expect((await byName('orders')).description).toBe('One row per order');
  });

  it('takes a schema change and a trained table into account at the next question', async () => {
    const before = await linkables();
    trained.add('public.orders');
    const after = await linkables();
    expect(after).not.toBe(before);
    expect(after.find((t) => t.table.name === 'orders')!.trained).toBe(true);

    world.source.tables = [...world.source.tables, table('public', 'invoices', ['id'])];
    await world.service.refresh(admin.tenantId, sqlId);
    expect((await linkables()).map((t) => t.table.name)).toContain('invoices');
  });

  it('keeps what is withheld from viewers apart from what admins see', async () => {
    await annotations.upsert(admin, sqlId, { table: 'customers', column: 'email', tags: ['pii'] });
    const names = async (auth: typeof admin) => (await byName('customers', auth)).table.columns.map((c) => c.name);
    expect(await names(admin)).toEqual(['id', 'email']);
    expect(await names(viewer)).toEqual(['id']);
    expect(await names(admin)).toEqual(['id', 'email']);
  });
});
