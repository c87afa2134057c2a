import type { SqlDialect as ExampleDialect } from '@sluice/core';
import { newId } from '@sluice/core';
import {
  insertConnector,
  openScratchDatabase,
  ScratchDatabase,
  spreadCreatedAt,
} from '../../../test/helpers/scratch-database';
import { ExampleEntity } from './example.entity';
import { ExampleRepository } from './example.repository';

const A = 'ten_alpha';
const B = 'ten_bravo';

describe('ExampleRepository (real PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let repo: ExampleRepository;
  let pg: string;
  let pg2: string;
  let conB: string;

  beforeAll(async () => {
    scratch = await openScratchDatabase([ExampleEntity]);
    repo = new ExampleRepository(scratch.db.getRepository(ExampleEntity));
    pg = await insertConnector(scratch.db, A);
    pg2 = await insertConnector(scratch.db, A);
    conB = await insertConnector(scratch.db, B);
  }, 60_000);

  afterAll(() => scratch?.close());

  beforeEach(() => scratch.db.query('DELETE FROM examples'));

  const add = (
    tenantId: string,
    question: string,
    extra: { connectorId?: string | null; dialect?: ExampleDialect; tags?: string[]; sql?: string } = {},
  ) =>
    repo.insert({
      id: newId('example'),
      tenantId,
      connectorId: extra.connectorId ?? null,
      question,
      sql: extra.sql ?? 'SELECT 1',
      dialect: extra.dialect ?? 'postgresql',
      tags: extra.tags ?? [],
      createdBy: null,
    });

  /** Inserts in order, oldest first, a second apart; returns the ids. */
  const addInOrder = async (...rows: Array<Parameters<typeof add>>) => {
    const ids: string[] = [];
    for (const row of rows) ids.push((await add(...row)).id);
    await spreadCreatedAt(scratch.db, 'examples', ids);
    return ids;
  };

  describe('page', () => {
    it('pages the tenant examples newest first and resumes after the cursor', async () => {
      const ids = await addInOrder([A, 'one'], [A, 'two'], [A, 'three'], [B, 'theirs']);
      const [first, total] = await repo.page(A, {}, 2);
      expect(total).toBe(3);
      expect(first.map((e) => e.id)).toEqual([ids[2], ids[1], ids[0]]);
      const [rest] = await repo.page(A, {}, 2, { createdAt: first[1].createdAt, id: first[1].id });
      expect(rest.map((e) => e.id)).toEqual([ids[0]]);
    });

    it('filters by connector, by one tag, and by q on question or SQL with % and _ literal', async () => {
      await addInOrder(
        [A, 'Top albums', { connectorId: pg, tags: ['music', 'top'] }],
        [A, 'Revenue by month', { connectorId: pg2, tags: ['finance'], sql: 'SELECT sum(total) FROM invoice' }],
        [A, 'Share of 100% tracks', { tags: ['music'] }],
        [B, 'Top albums', { connectorId: conB, tags: ['music'] }],
      );
      const questions = async (filter: Parameters<ExampleRepository['page']>[1]) =>
        (await repo.page(A, filter, 10))[0].map((e) => e.question).sort();
      expect(await questions({ connectorId: pg })).toEqual(['Top albums']);
      expect(await questions({ tag: 'music' })).toEqual(['Share of 100% tracks', 'Top albums']);
      expect(await questions({ tag: 'mus' })).toEqual([]);
      expect(await questions({ q: 'INVOICE' })).toEqual(['Revenue by month']);
      expect(await questions({ q: '0%' })).toEqual(['Share of 100% tracks']);
      expect(await questions({ q: 'top_' })).toEqual([]);
      expect((await repo.page(B, { tag: 'music' }, 10))[1]).toBe(1);
    });
  });

  describe('candidates', () => {
    it('for a connector: its own examples and connector-less ones of its dialect, newest first', async () => {
      const ids = await addInOrder(
        [A, 'own', { connectorId: pg }],
        [A, 'free pg', { dialect: 'postgresql' }],
        [A, 'free mysql', { dialect: 'mysql' }],
        [A, 'other connector', { connectorId: pg2 }],
        [B, 'other tenant', { dialect: 'postgresql' }],
      );
      expect((await repo.candidates(A, { connectorId: pg, dialect: 'postgresql' })).map((e) => e.id)).toEqual([
        ids[1],
        ids[0],
      ]);
      expect((await repo.candidates(A, { connectorId: pg })).map((e) => e.id)).toEqual([ids[0]]);
      expect((await repo.candidates(A, { dialect: 'mysql' })).map((e) => e.id)).toEqual([ids[2]]);
      expect(await repo.candidates(A, {})).toHaveLength(4);
      expect((await repo.candidates(B, { dialect: 'postgresql' })).map((e) => e.question)).toEqual(['other tenant']);
    });
  });

  describe('one example', () => {
    it('finds, updates and deletes only within the tenant', async () => {
      const saved = await add(A, 'Top albums', { tags: ['music'] });
      expect(saved.createdAt).toBeInstanceOf(Date);
      expect(await repo.findOne(B, saved.id)).toBeNull();
      await repo.update(B, saved.id, { question: 'hijacked' });
      expect(await repo.delete(B, saved.id)).toBe(false);
      expect((await repo.findOne(A, saved.id))!.question).toBe('Top albums');
      await repo.update(A, saved.id, { question: 'Best albums', tags: ['music', 'top'], connectorId: pg });
      expect(await repo.findOne(A, saved.id)).toMatchObject({
        question: 'Best albums',
        tags: ['music', 'top'],
        connectorId: pg,
      });
      expect(await repo.delete(A, saved.id)).toBe(true);
      expect(await repo.delete(A, saved.id)).toBe(false);
    });

    it('keeps an example when its connector is deleted, detached from it', async () => {
      const con = await insertConnector(scratch.db, A);
      const saved = await add(A, 'Orphan', { connectorId: con });
      await scratch.db.query('DELETE FROM connectors WHERE id = $1', [con]);
      expect((await repo.findOne(A, saved.id))!.connectorId).toBeNull();
    });
  });
});
