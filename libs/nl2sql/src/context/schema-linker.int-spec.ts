import { PostgresqlConnector } from '@sluice/connectors';
import { randomAlphanumeric, extractReferences, TableRef } from '@sluice/core';
import {
  DEFOG_DATABASES,
  defogLinkableTables,
  defogQuestions,
  expandGold,
  loadDefog,
} from '../../../../test/helpers/defog';
import { dropDatabase, testEnv } from '../../../../test/helpers/test-env';
import { estimateTokens, renderDdl } from './prompt-ddl';
import { LinkableTable, LinkedSchema, linkSchema } from './schema-linker';

/**
 * Schema linking on the 11 defog databases and the 210 questions of sql-eval: how many of the
 * tables each gold query reads does the linked schema hold, within a budget that makes the
 * largest schemas choose. Column descriptions come from defog's `<db>.json`; no sample values,
 * no annotations, no examples: the ranking alone.
 */
const BUDGET = 1500;
/** Tighter budgets, reported (not asserted) to show how recall holds up when more must go. */
const DIAGNOSTIC_BUDGETS = [1000, 600];

const env = testEnv();
const connector = new PostgresqlConnector(env);
const urls = new Map(
  DEFOG_DATABASES.map((db) => [db, `postgresql://postgres@127.0.0.1:5432/defog_link_${db}_${randomAlphanumeric(8)}`]),
);
const schemas = new Map<string, LinkableTable[]>();

/** Introspects one loaded database through the real plugin, with defog's column descriptions. */
const linkableTables = (db: string): Promise<LinkableTable[]> => defogLinkableTables(connector, db, urls.get(db)!);

/** The first concrete gold query's tables, resolved to the schema's keys (CTE names are not tables). */
async function goldTables(gold: string, tables: LinkableTable[]): Promise<string[]> {
  const refs = await extractReferences(expandGold(gold)[0], 'postgresql');
  const resolve = (ref: TableRef) =>
    tables.find(
      (t) =>
        t.table.name.toLowerCase() === ref.name.toLowerCase() &&
        (!ref.schema || t.table.schema?.toLowerCase() === ref.schema.toLowerCase()),
    )?.key;
  return [...new Set(refs.tables.map((ref) => resolve(ref) ?? `?${ref.name}`))];
}

interface Outcome {
  db: string;
  question: string;
  gold: string[];
  result: LinkedSchema;
  /** Gold tables linked. */
  hits: number;
  recall: number;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const fixed = (x: number, digits = 3) => x.toFixed(digits);
const fullTokens = (db: string) => estimateTokens(renderDdl(schemas.get(db)!, 'postgresql'));

/** Recall, tables linked and precision (gold tables linked / tables linked), overall and per database. */
function report(budget: number, outcomes: Outcome[], label = '', details = true): number {
  const linked = (o: Outcome) => o.result.tables.length;
  const precision = (o: Outcome) => (linked(o) ? o.hits / linked(o) : 0);
  const recall = mean(outcomes.map((o) => o.recall));
  const lines = [
    `schema linking recall on defog${label}: ${fixed(recall)} (${outcomes.length} questions, budget ${budget} tokens, ` +
      `mean ${fixed(mean(outcomes.map(linked)), 1)} of ${fixed(mean(outcomes.map((o) => schemas.get(o.db)!.length)), 1)} ` +
      `tables linked, precision ${fixed(mean(outcomes.map(precision)))}, ` +
      `${outcomes.filter((o) => o.recall === 1).length} questions with every gold table)`,
  ];
  for (const db of DEFOG_DATABASES) {
    const mine = outcomes.filter((o) => o.db === db);
    const full = fullTokens(db);
    lines.push(
      `  ${db.padEnd(15)} recall ${fixed(mean(mine.map((o) => o.recall)))}  ` +
        `linked ${fixed(mean(mine.map(linked)), 1).padStart(4)} of ${String(schemas.get(db)!.length).padStart(2)}  ` +
        `precision ${fixed(mean(mine.map(precision)))}  ` +
        `full DDL ${String(full).padStart(4)} tokens${full > budget ? ' (over budget: linking chooses)' : ''}  ` +
        `(${mine.length} questions)`,
    );
  }
  const misses = outcomes.filter((o) => o.recall < 1);
  lines.push(`  questions missing a gold table: ${misses.length}`);
  for (const o of details ? misses : []) {
    lines.push(`    [${o.db}] ${o.question} (gold: ${o.gold.join(', ')})`);
    o.result.scores.slice(0, 5).forEach((s) => lines.push(`      ${s.key} ${s.score}: ${s.reason}`));
  }
  console.log(lines.join('\n'));
  return recall;
}

describe('schema linking on the defog databases', () => {
  const questions = defogQuestions();
  const gold = new Map<number, string[]>();

  beforeAll(async () => {
    await Promise.all(
      DEFOG_DATABASES.map(async (db) => {
        await loadDefog(db, urls.get(db)!);
        schemas.set(db, await linkableTables(db));
      }),
    );
    for (const [i, q] of questions.entries()) gold.set(i, await goldTables(q.gold, schemas.get(q.db)!));
  }, 60_000);

  afterAll(async () => {
    await connector.onModuleDestroy();
    await Promise.all([...urls.values()].map((url) => dropDatabase(url)));
  });

  const evaluate = (budget: number, fillBudget = true, blind = false): Outcome[] =>
    questions.map((q, i) => {
      const result = linkSchema(blind ? '' : q.question, schemas.get(q.db)!, { tokenBudget: budget, fillBudget });
      const keys = new Set(result.tables.map((t) => t.key));
      const wanted = gold.get(i)!;
      const hits = wanted.filter((k) => keys.has(k)).length;
      return {
        db: q.db,
        question: q.question,
        gold: wanted,
        result,
        hits,
        recall: wanted.length ? hits / wanted.length : 1,
      };
    });

  it('finds the tables the gold queries read (recall at least 0.95), within the budget', () => {
    expect([...gold.values()].flat().filter((k) => k.startsWith('?'))).toEqual([]);
    const all = [...schemas.values()].flat();
    const columns = all.reduce((n, t) => n + t.table.columns.length, 0);
    const described = all.reduce((n, t) => n + Object.keys(t.columnNotes ?? {}).length, 0);
    const goldMean = mean([...gold.values()].map((g) => g.length));
    console.log(
      `defog: ${all.length} tables, ${described} of ${columns} columns described, ` +
        `${fixed(goldMean, 2)} gold tables per question`,
    );
    expect(described / columns).toBeGreaterThan(0.5);
    const over = DEFOG_DATABASES.filter((db) => fullTokens(db) > BUDGET);
    console.log(`databases whose whole DDL exceeds the ${BUDGET}-token budget: ${over.length} (${over.join(', ')})`);
    expect(over.length).toBeGreaterThanOrEqual(2);

    const outcomes = evaluate(BUDGET);
    const recall = report(BUDGET, outcomes);
    const blind = report(BUDGET, evaluate(BUDGET, true, true), ' with the question withheld (baseline)', false);
    expect(recall).toBeGreaterThan(blind);
    expect(outcomes.every((o) => o.result.tokens <= BUDGET)).toBe(true);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it.each(DIAGNOSTIC_BUDGETS)('reports recall at a tighter budget of %i tokens', (budget) => {
    const outcomes = evaluate(budget);
    const recall = report(budget, outcomes, '', false);
    // The baseline: the same budget filled in schema order, the question unseen.
    const blind = report(budget, evaluate(budget, true, true), ' with the question withheld (baseline)', false);
    expect(outcomes.every((o) => o.result.tokens <= budget)).toBe(true);
    expect(recall).toBeGreaterThan(blind);
  });

  it('reports recall of the relevant tables alone, with no budget filling', () => {
    const outcomes = evaluate(BUDGET, false);
    report(BUDGET, outcomes, ' without filling the budget');
    expect(outcomes.every((o) => o.result.tokens <= BUDGET)).toBe(true);
  });

  it('links deterministically', () => {
    const q = questions.find((x) => x.db === 'atis')!;
    const once = linkSchema(q.question, schemas.get('atis')!, { tokenBudget: BUDGET });
    const again = linkSchema(q.question, [...schemas.get('atis')!], { tokenBudget: BUDGET });
    expect(again).toEqual(once);
  });
});
