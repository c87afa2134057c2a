import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlDialect } from '@sluice/core';
import type { ExampleChecker } from '../example-checker';
import { ExampleEntity } from '../example.entity';
import type { CandidateScope, ExampleRepository } from '../example.repository';
import { Bm25ExampleRanker } from './example-ranker';
import { ExampleRetriever } from './example-retriever';

interface Fixture {
  examples: Array<{ key: string; question: string; sql: string; tags: string[] }>;
  paraphrases: Array<{ question: string; expected: string }>;
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, '../../../../test/fixtures/chinook-examples.json'), 'utf8'),
) as Fixture;

const TENANT = 'ten_acme';
const CONNECTOR = 'conn_chinook';

function entity(
  id: string,
  question: string,
  extra: Partial<ExampleEntity> = {},
  createdAt = new Date('2026-01-01T00:00:00Z'),
): ExampleEntity {
  return {
    id,
    tenantId: TENANT,
    connectorId: CONNECTOR,
    question,
    sql: 'SELECT 1',
    dialect: 'postgresql',
    tags: [],
    createdBy: null,
    createdAt,
    updatedAt: createdAt,
    ...extra,
  };
}

/** The repository's candidate rule, over an in-memory list (the SQL itself is covered end to end). */
function repositoryOver(rows: ExampleEntity[]): ExampleRepository {
  return {
    candidates: (tenantId: string, scope: CandidateScope) =>
      Promise.resolve(
        rows.filter((e) => {
          if (e.tenantId !== tenantId) return false;
          if (scope.connectorId) {
            return e.connectorId === scope.connectorId || (e.connectorId === null && e.dialect === scope.dialect);
          }
          return scope.dialect ? e.dialect === scope.dialect : true;
        }),
      ),
  } as unknown as ExampleRepository;
}

const checker = {
  connectorDialect: (_t: string, id: string): Promise<SqlDialect> =>
    id === CONNECTOR ? Promise.resolve('postgresql') : Promise.reject(new Error('not found')),
} as unknown as ExampleChecker;

const retrieverOver = (rows: ExampleEntity[]) =>
  new ExampleRetriever(repositoryOver(rows), checker, new Bm25ExampleRanker());

describe('ExampleRetriever over the Chinook examples', () => {
  const rows = fixture.examples.map((e) => entity(e.key, e.question, { sql: e.sql, tags: e.tags }));
  const retriever = retrieverOver(rows);

  it('has a fixture of at least 30 examples and 15 paraphrases, each naming a real example', () => {
    expect(fixture.examples.length).toBeGreaterThanOrEqual(30);
    expect(fixture.paraphrases.length).toBeGreaterThanOrEqual(15);
    const keys = new Set(fixture.examples.map((e) => e.key));
    expect(keys.size).toBe(fixture.examples.length);
    for (const p of fixture.paraphrases) expect(keys).toContain(p.expected);
  });

  it('ranks the expected example first for every paraphrase', async () => {
    const results = await Promise.all(
      fixture.paraphrases.map(async (p) => {
        const found = await retriever.findSimilar(TENANT, p.question, { connectorId: CONNECTOR, k: 3 });
        return { question: p.question, expected: p.expected, got: found.map((f) => f.example.id) };
      }),
    );
    const hits = results.filter((r) => r.got[0] === r.expected).length;
    const inTop3 = results.filter((r) => r.got.includes(r.expected)).length;
    console.log(
      `findSimilar over ${rows.length} Chinook examples: top-1 ${hits}/${results.length} ` +
        `(${((100 * hits) / results.length).toFixed(1)}%), top-3 ${inTop3}/${results.length}`,
    );
    expect(results.filter((r) => r.got[0] !== r.expected)).toEqual([]);
  });

  it('returns scores best first, at most k, and nothing for a question sharing no word', async () => {
    const found = await retriever.findSimilar(TENANT, 'albums by artists', { connectorId: CONNECTOR, k: 4 });
    expect(found).toHaveLength(4);
    const scores = found.map((f) => f.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0)).toBe(true);
    expect(await retriever.findSimilar(TENANT, 'weather forecast for tomorrow', { connectorId: CONNECTOR })).toEqual(
      [],
    );
    expect(await retriever.findSimilar(TENANT, 'albums', { connectorId: CONNECTOR, k: 0 })).toEqual([]);
  });

  it('returns response objects, not entities', async () => {
    const [first] = await retriever.findSimilar(TENANT, 'longest tracks', { connectorId: CONNECTOR, k: 1 });
    expect(first.example).toMatchObject({ id: 'longest-tracks', dialect: 'postgresql', createdAt: expect.any(String) });
    expect(first.example).not.toHaveProperty('tenantId');
  });
});

describe('ExampleRetriever scope', () => {
  const rows = [
    entity('own', 'total sales by country'),
    entity('generic-pg', 'total sales by country and year', { connectorId: null }),
    entity('generic-mysql', 'total sales by country', { connectorId: null, dialect: 'mysql' }),
    entity('other-connector', 'total sales by country', { connectorId: 'conn_other' }),
    entity('other-tenant', 'total sales by country', { tenantId: 'ten_globex' }),
  ];
  const retriever = retrieverOver(rows);

  it("keeps to the connector's examples and those of no connector in its dialect", async () => {
    const found = await retriever.findSimilar(TENANT, 'sales by country', { connectorId: CONNECTOR });
    expect(found.map((f) => f.example.id).sort()).toEqual(['generic-pg', 'own']);
  });

  it('with a dialect alone, keeps to that dialect', async () => {
    const found = await retriever.findSimilar(TENANT, 'sales by country', { dialect: 'mysql' });
    expect(found.map((f) => f.example.id)).toEqual(['generic-mysql']);
  });

  it("never returns another tenant's example", async () => {
    const found = await retriever.findSimilar(TENANT, 'sales by country', {});
    expect(found.map((f) => f.example.id)).not.toContain('other-tenant');
    expect(found).toHaveLength(4);
  });
});

describe('ExampleRetriever.findExact', () => {
  const rows = [
    entity('generic', 'How many tracks are there per genre?', { connectorId: null }, new Date('2026-02-01')),
    entity('own', 'how many Tracks per GENRES', {}, new Date('2026-01-01')),
    entity('top5', 'Top 5 customers by spending'),
  ];
  const retriever = retrieverOver(rows);

  it("finds the same question in other words' clothing, preferring the connector's own", async () => {
    const found = await retriever.findExact(TENANT, 'How many tracks are there, per genre', { connectorId: CONNECTOR });
    expect(found?.id).toBe('own');
    const generic = await retriever.findExact(TENANT, 'how many tracks per genre', { dialect: 'postgresql' });
    expect(generic?.id).toBe('generic');
  });

  it('does not match a question that differs in a number or a word', async () => {
    expect(await retriever.findExact(TENANT, 'Top 10 customers by spending', { connectorId: CONNECTOR })).toBeNull();
    expect(await retriever.findExact(TENANT, 'How many albums per genre?', { connectorId: CONNECTOR })).toBeNull();
    expect(await retriever.findExact(TENANT, 'What is it?', { connectorId: CONNECTOR })).toBeNull();
  });
});
