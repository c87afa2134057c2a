import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadChinookPostgres, localPostgresConnector } from '../helpers/chinook';
import { FakeOpenAi } from '../helpers/fake-openai';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dropDatabase, testVariables } from '../helpers/test-env';
import { createConnector, scriptedLlm } from './api-app';
import { BenchmarkResult, envInteger, measure, percentile, round, UNLIMITED_RATES } from './benchmark';
import { createLargeSchema } from './large-schema';

export const name = 'nl2sql-overhead';
export const description =
  'server time of POST /nl2sql/query with an instant scripted LLM (p50/p99), on Chinook and on a 2,000-table schema, ' +
  'against /nl2sql/validate + /nl2sql/execute of the same SQL';

interface Case {
  label: string;
  url: string;
  /** What the scripted model answers, valid on that schema. */
  sql: string;
  questions: string[];
  /** How far above the baseline the median may be. */
  allowanceMs: number;
}

const CASES = (chinookUrl: string, largeUrl: string): Case[] => [
  {
    label: 'Chinook',
    url: chinookUrl,
    sql: 'SELECT g.name, count(*) AS tracks FROM genre g JOIN track t ON t.genre_id = g.genre_id GROUP BY g.name',
    questions: [
      'Which genres have the most tracks?',
      'How many tracks does each genre have?',
      'Count the tracks per genre',
      'Rank the genres by their number of tracks',
    ],
    allowanceMs: 15,
  },
  {
    label: '2,000 tables',
    url: largeUrl,
    sql: 'SELECT o.status, count(*) AS orders, sum(o.amount) AS amount FROM sales_orders o GROUP BY o.status',
    questions: [
      'How many sales orders are there per status?',
      'What is the total amount of the sales orders by status?',
      'Count the sales orders in each status',
      'Sales orders per status, with their amounts',
    ],
    allowanceMs: 100,
  },
];

/** One request on loopback: its time as the client sees it, and its JSON body (a non-2xx throws). */
async function timed(baseUrl: string, token: string, path: string, body: unknown): Promise<{ ms: number; body: any }> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status >= 300) throw new Error(`POST ${path} failed: ${res.status} ${text.slice(0, 500)}`);
  return { ms, body: JSON.parse(text) };
}

const stats = (values: number[]) => ({
  p50: round(percentile(values, 50)),
  p90: round(percentile(values, 90)),
  p99: round(percentile(values, 99)),
  max: round(Math.max(...values)),
});

/**
 * Serial rounds, each a question (through the scripted model) then validate + execute of the SQL
 * the model answers, so both sides see the same state of the app and the machine. The fake
 * model's own time (it is in this process) is taken off each question.
 */
async function measureCase(app: TestApp, llm: FakeOpenAi, token: string, c: Case, connectorId: string, rounds: number) {
  llm.fallback = { content: `\`\`\`sql\n${c.sql}\n\`\`\`` };
  const warmups = 3;
  const query: number[] = [];
  const baseline: number[] = [];
  const llmMs: number[] = [];
  // The connector's first question also builds what schema linking keeps per schema version (and
  // the app's first question loads the model client and the guard's parser).
  let first = { query: 0, baseline: 0 };
  for (let i = 0; i < warmups + rounds; i++) {
    const question = c.questions[i % c.questions.length];
    const calls = llm.chatMs.length;
    const asked = await timed(app.baseUrl, token, '/api/v1/nl2sql/query', { connectorId, question });
    if (asked.body.sql === undefined || asked.body.result === null) throw new Error(`${c.label}: no answer`);
    const fake = llm.chatMs.slice(calls).reduce((a, b) => a + b, 0);
    const validated = await timed(app.baseUrl, token, '/api/v1/nl2sql/validate', { connectorId, sql: c.sql });
    if (!validated.body.ok)
      throw new Error(`${c.label}: the scripted SQL is refused: ${JSON.stringify(validated.body)}`);
    const executed = await timed(app.baseUrl, token, '/api/v1/nl2sql/execute', { connectorId, sql: c.sql });
    if (i === 0) first = { query: round(asked.ms - fake), baseline: round(validated.ms + executed.ms) };
    if (i < warmups) continue;
    query.push(asked.ms - fake);
    llmMs.push(fake);
    baseline.push(validated.ms + executed.ms);
  }
  return { query: stats(query), baseline: stats(baseline), fakeLlmMs: stats(llmMs), rounds, firstQuestionMs: first };
}

export async function run(): Promise<BenchmarkResult> {
  const rounds = envInteger('BENCH_ROUNDS', 40);
  const chinookUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_bench_');
  const largeUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'large_schema_bench_');
  const storage = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const llm = new FakeOpenAi();
  let app: TestApp | undefined;
  try {
    await Promise.all([loadChinookPostgres(chinookUrl), createLargeSchema(largeUrl), llm.start()]);
    app = await startTestApp({
      STORAGE_DIR: storage,
      SAFE_NETWORK_ALLOW: '127.0.0.1',
      ...scriptedLlm(llm),
      ...UNLIMITED_RATES,
    });
    const token = await app.http.login('admin@acme.test', 'acme-admin-password');
    const cases = CASES(chinookUrl, largeUrl);
    const figures: Record<string, Awaited<ReturnType<typeof measureCase>>> = {};
    for (const c of cases) {
      const id = await createConnector(app, token, { name: c.label, ...localPostgresConnector(c.url) });
      figures[c.label] = await measureCase(app, llm, token, c, id, rounds);
    }
    const measures = cases.flatMap((c) => {
      const f = figures[c.label];
      const base = 'POST /nl2sql/validate + /nl2sql/execute';
      return [
        measure({
          what: `POST /nl2sql/query, ${c.label}, p50 of ${rounds} serial`,
          unit: 'ms',
          figure: f.query.p50,
          baseline: { what: `${base}, p50`, figure: f.baseline.p50 },
          target: `≤ ${c.allowanceMs} ms above the baseline`,
          met: (figure, baseline) => figure - baseline <= c.allowanceMs,
          note: `scripted LLM's own time taken off (p50 ${f.fakeLlmMs.p50} ms)`,
        }),
        measure({
          what: `POST /nl2sql/query, ${c.label}, p99 of ${rounds} serial`,
          unit: 'ms',
          figure: f.query.p99,
          baseline: { what: `${base}, p99`, figure: f.baseline.p99 },
          target: 'reported (the target is on the p50)',
          met: () => true,
          note: `the connector's first question, cold (linker structures built): ${f.firstQuestionMs.query} ms`,
        }),
      ];
    });
    return { measures, details: figures };
  } finally {
    await app?.close();
    await llm.stop();
    await Promise.all([dropDatabase(chinookUrl), dropDatabase(largeUrl)]);
    rmSync(storage, { recursive: true, force: true });
  }
}
