import { caller, failure, TENANT_B } from '../../../test/fakes/common';
import { examplesWorld } from '../../../test/fakes/examples';
import { FakeHistoryRepository, historyServiceOn } from '../../../test/fakes/history';
import { table } from '../../../test/fakes/schema';
import { PromoteHistoryService } from './promote-history.service';

describe('PromoteHistoryService', () => {
  const alice = caller();
  const bob = caller(TENANT_B);
  let world: ReturnType<typeof examplesWorld>;
  let history: FakeHistoryRepository;
  let service: PromoteHistoryService;
  let pgId: string;

  beforeEach(() => {
    world = examplesWorld();
    world.source.tables = [table('public', 'orders', ['id'])];
    history = new FakeHistoryRepository();
    const historyService = historyServiceOn(history);
    service = new PromoteHistoryService(historyService, world.service);
    pgId = world.connectors.add({ type: 'postgresql' }).id;
  });

  it('turns a successful entry into an example of its connector, and links the entry to it', async () => {
    const entry = history.add({ question: 'How many orders?', sql: 'SELECT count(*) FROM orders', connectorId: pgId });
    const example = await service.promote(alice, entry.id, { tags: ['Ops'] });
    expect(example).toMatchObject({
      question: 'How many orders?',
      sql: 'SELECT count(*) FROM orders',
      connectorId: pgId,
      dialect: 'postgresql',
      tags: ['ops'],
      warnings: [],
    });
    expect(world.examples.rows.get(example.id)!.tenantId).toBe(alice.tenantId);
    expect(history.rows.get(entry.id)!.exampleId).toBe(example.id);
  });

  it('needs a dialect for an entry without a connector', async () => {
    const entry = history.add({ connectorId: null, sql: 'SELECT 1' });
    expect(await failure(service.promote(alice, entry.id))).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await service.promote(alice, entry.id, { dialect: 'sqlite' })).toMatchObject({ dialect: 'sqlite' });
  });

  it('refuses a failed entry, one without SQL and one already promoted (409), creating no example', async () => {
    const failed = history.add({ ok: false, error: 'timeout', connectorId: pgId });
    const noSql = history.add({ sql: null, connectorId: pgId });
    const done = history.add({ exampleId: 'ex_before', connectorId: pgId });
    expect(await failure(service.promote(alice, failed.id))).toEqual({ status: 409, code: 'HISTORY_ENTRY_FAILED' });
    expect(await failure(service.promote(alice, noSql.id))).toEqual({
      status: 409,
      code: 'HISTORY_ENTRY_WITHOUT_SQL',
    });
    expect(await failure(service.promote(alice, done.id))).toEqual({ status: 409, code: 'HISTORY_ALREADY_PROMOTED' });
    expect(world.examples.rows.size).toBe(0);
  });

  it('is 404 for another tenant entry', async () => {
    const entry = history.add({ connectorId: pgId });
    expect(await failure(service.promote(bob, entry.id))).toEqual({ status: 404, code: 'HISTORY_NOT_FOUND' });
    expect(world.examples.rows.size).toBe(0);
  });

  it('undoes its example when another promotion linked the entry first', async () => {
    const entry = history.add({ connectorId: pgId });
    const link = history.linkExample.bind(history);
    history.linkExample = async (tenantId, id, exampleId) => {
      await link(tenantId, id, 'ex_from_the_other_request');
      return link(tenantId, id, exampleId);
    };
    expect(await failure(service.promote(alice, entry.id))).toEqual({ status: 409, code: 'HISTORY_ALREADY_PROMOTED' });
    expect(world.examples.rows.size).toBe(0);
    expect(history.rows.get(entry.id)!.exampleId).toBe('ex_from_the_other_request');
  });
});
