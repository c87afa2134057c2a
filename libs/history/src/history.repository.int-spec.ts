import { DataSource, SelectQueryBuilder } from 'typeorm';
import { dropDatabase, testEnv } from '../../../test/helpers/test-env';
import { ensureDatabaseExists, runMigrations } from '@sluice/core';
import { HistoryEntryEntity } from './history-entry.entity';
import { HistoryRepository } from './history.repository';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('history search (real PostgreSQL)', () => {
  const url = testEnv().DATABASE_URL!;
  let db: DataSource;
  let repo: HistoryRepository;
  const ROWS = 60_000;

  beforeAll(async () => {
    await ensureDatabaseExists(url);
    await runMigrations(url);
    db = await new DataSource({ type: 'postgres', url, entities: [HistoryEntryEntity] }).initialize();
    repo = new HistoryRepository(db.getRepository(HistoryEntryEntity));
    await db.query(`INSERT INTO tenants (id, name) VALUES ('ten_acme', 'Acme'), ('ten_globex', 'Globex')`);
    // A realistic spread: two tenants, questions and SQL of varied text, one rare needle.
    await db.query(
      `INSERT INTO history_entries (id, tenant_id, question, sql, ok, duration_ms, attempts, created_at)
       SELECT 'hist_' || lpad(i::text, 16, '0'),
              CASE WHEN i % 3 = 0 THEN 'ten_globex' ELSE 'ten_acme' END,
              'How many ' || md5(i::text) || ' per ' || (ARRAY['genre','artist','album','customer'])[1 + i % 4] || '?',
              'SELECT count(*) FROM ' || (ARRAY['track','invoice','album','customer'])[1 + i % 4] || ' WHERE x = ''' || md5((i * 7)::text) || '''',
              i % 5 <> 0, 100 + i % 900, 1,
              now() - make_interval(secs => i)
         FROM generate_series(1, $1) AS i`,
      [ROWS],
    );
    await db.query(
      `UPDATE history_entries SET question = 'Which NeedleQuest albums sold best?' WHERE id = 'hist_0000000000000010'`,
    );
    await db.query(
      `UPDATE history_entries SET sql = 'SELECT * FROM needlequest_sales' WHERE id = 'hist_0000000000000020'`,
    );
    await db.query('ANALYZE history_entries');
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
    await dropDatabase(url);
  });

  async function plan(qb: SelectQueryBuilder<HistoryEntryEntity>): Promise<PlanNode[]> {
    const [text, params] = qb.getQueryAndParameters();
    const [row] = await db.query<Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>>(
      `EXPLAIN (FORMAT JSON) ${text}`,
      params,
    );
    return nodes(row['QUERY PLAN'][0].Plan);
  }

  function expectTrigramIndexes(used: PlanNode[]): void {
    const indexes = used.filter((n) => n['Index Name']).map((n) => n['Index Name']);
    expect(indexes).toEqual(expect.arrayContaining(['history_question_trgm', 'history_sql_trgm']));
    expect(used.some((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'history_entries')).toBe(false);
  }

  it('finds q in the question or the SQL, case-insensitively, within the tenant', async () => {
    const [rows, total] = await repo.page('ten_acme', { q: 'NEEDLEQUEST' }, 20);
    expect(rows.map((r) => r.id).sort()).toEqual(['hist_0000000000000010', 'hist_0000000000000020']);
    expect(total).toBe(2);
    expect((await repo.page('ten_globex', { q: 'needlequest' }, 20))[1]).toBe(0);
  });

  it('answers the page query for q from the trigram indexes on question and SQL, not a table scan', async () => {
    expectTrigramIndexes(await plan(repo.pageQuery('ten_acme', { q: 'needlequest' }, 20)));
    expectTrigramIndexes(await plan(repo.pageQuery('ten_acme', { q: 'needlequest', ok: true }, 500)));
  });

  it('answers the count of a filtered page from the trigram indexes too', async () => {
    expectTrigramIndexes(await plan(repo.filtered('ten_acme', { q: 'NeedleQuest', ok: true }).select('COUNT(*)')));
  });

  it('prunes each tenant down to its newest entries in one statement', async () => {
    const before = await db.query<Array<{ tenant_id: string; n: number }>>(
      'SELECT tenant_id, count(*)::int AS n FROM history_entries GROUP BY tenant_id ORDER BY tenant_id',
    );
    expect(before).toEqual([
      { tenant_id: 'ten_acme', n: ROWS - ROWS / 3 },
      { tenant_id: 'ten_globex', n: ROWS / 3 },
    ]);
    const newest = await db.query<Array<{ id: string }>>(
      `SELECT id FROM history_entries WHERE tenant_id = 'ten_acme' ORDER BY created_at DESC, id DESC LIMIT 1000`,
    );
    expect(await repo.pruneBeyond(1000, 'ten_acme')).toBe(ROWS - ROWS / 3 - 1000);
    const kept = await db.query<Array<{ id: string }>>(
      `SELECT id FROM history_entries WHERE tenant_id = 'ten_acme' ORDER BY created_at DESC, id DESC`,
    );
    expect(kept).toEqual(newest);
    expect(await repo.pruneBeyond(1000)).toBe(ROWS / 3 - 1000);
    expect(await repo.pruneBeyond(1000)).toBe(0);
  });
});
