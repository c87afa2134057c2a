import autocannon, { Result } from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChinookPostgres, localPostgresConnector } from '../helpers/chinook';
import { FakeOpenAi } from '../helpers/fake-openai';
import { HttpClient } from '../helpers/http-client';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dropDatabase, testVariables } from '../helpers/test-env';
import { scriptedLlm } from './api-app';
import { BenchmarkResult, envInteger, measure, UNLIMITED_RATES } from './benchmark';

export const name = 'load';
export const description =
  'concurrent clients mixing connector list, get, content and schema reads and NL2SQL questions through a scripted LLM; success: no 5xx';

/** The scripted model answers every question with this (valid on Chinook's PostgreSQL schema). */
const SCRIPTED_SQL =
  'SELECT g.name, count(*) AS tracks FROM genre g JOIN track t ON t.genre_id = g.genre_id GROUP BY g.name';
const CSV_ROWS = 20_000;
/** Connectors in the tenant besides the two the mix reads, so the list has a full page. */
const EXTRA_CONNECTORS = 30;

interface Route {
  name: string;
  /** Share of the connections, out of the sum of all shares. */
  share: number;
  requests: Array<{ method: 'GET' | 'POST'; path: string; body?: string }>;
}

async function must(res: { status: number; text: string; body: any }, what: string): Promise<any> {
  if (res.status >= 300) throw new Error(`${what} failed: ${res.status} ${res.text.slice(0, 500)}`);
  return res.body;
}

/** The tenant the clients read: Chinook on PostgreSQL, an uploaded CSV, and more connectors. */
async function seed(http: HttpClient, token: string, pgUrl: string) {
  const chinook = await must(
    await http.post('/api/v1/connectors', { name: 'Chinook', ...localPostgresConnector(pgUrl) }, { token }),
    'create the Chinook connector',
  );
  const csv = await must(
    await http.post(
      '/api/v1/connectors',
      { name: 'Orders', type: 'local_file', config: { fileName: 'orders.csv' } },
      { token },
    ),
    'create the CSV connector',
  );
  const lines = ['id,customer,amount,placed_at'];
  for (let i = 0; i < CSV_ROWS; i++)
    lines.push(`${i},customer-${i % 977},${(i * 7.31).toFixed(2)},2026-0${(i % 9) + 1}-1${i % 10}`);
  await must(
    await http.request('POST', `/api/v1/connectors/${csv.id}/upload`, {
      token,
      rawBody: lines.join('\n'),
      headers: { 'content-type': 'text/csv' },
    }),
    'upload the CSV',
  );
  for (let i = 0; i < EXTRA_CONNECTORS; i++) {
    await must(
      await http.post(
        '/api/v1/connectors',
        { name: `Extra ${i}`, type: 'local_file', config: { fileName: `extra-${i}.csv` } },
        { token },
      ),
      'create a connector',
    );
  }
  return { chinookId: chinook.id as string, csvId: csv.id as string };
}

function routes(chinookId: string, csvId: string): Route[] {
  const questions = [
    'Which genres have the most tracks?',
    'How many tracks does each genre have?',
    'Count the tracks per genre',
    'Rank the genres by their number of tracks',
  ];
  return [
    {
      name: 'list',
      share: 1,
      requests: [
        { method: 'GET', path: '/api/v1/connectors?limit=20' },
        { method: 'GET', path: '/api/v1/connectors?limit=50&type=local_file' },
        { method: 'GET', path: '/api/v1/connectors?q=chinook' },
      ],
    },
    {
      name: 'get',
      share: 1,
      requests: [
        { method: 'GET', path: `/api/v1/connectors/${chinookId}` },
        { method: 'GET', path: `/api/v1/connectors/${csvId}` },
      ],
    },
    {
      name: 'content',
      share: 1,
      requests: Array.from({ length: 8 }, (_, i) => ({
        method: 'GET' as const,
        path: `/api/v1/connectors/${csvId}/content?offset=${i * 2_400}&limit=100`,
      })),
    },
    { name: 'schema', share: 1, requests: [{ method: 'GET', path: `/api/v1/connectors/${chinookId}/schema` }] },
    {
      name: 'nl2sql',
      share: 1,
      requests: questions.map((question) => ({
        method: 'POST' as const,
        path: '/api/v1/nl2sql/query',
        body: JSON.stringify({ connectorId: chinookId, question }),
      })),
    },
  ];
}

/** Splits `total` connections by share, every route getting at least one. */
function split(total: number, shares: number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const counts = shares.map((s) => Math.max(1, Math.floor((total * s) / sum)));
  counts[0] += total - counts.reduce((a, b) => a + b, 0);
  return counts;
}

const ms = (v: number) => Math.round(v * 100) / 100;

function figures(result: Result, connections: number) {
  const byStatus: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) byStatus[status] = Number(count);
  const answered = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const non2xx = Object.fromEntries(Object.entries(byStatus).filter(([s]) => !s.startsWith('2')));
  return {
    connections,
    requests: answered,
    throughputPerSecond: ms(answered / result.duration),
    latencyMs: {
      p50: ms(result.latency.p50),
      p90: ms(result.latency.p90),
      p99: ms(result.latency.p99),
      max: ms(result.latency.max),
    },
    non2xx,
    status5xx: Object.entries(byStatus)
      .filter(([s]) => s.startsWith('5'))
      .reduce((a, [, n]) => a + n, 0),
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

export async function run(): Promise<BenchmarkResult> {
  const connections = envInteger('BENCH_CONNECTIONS', 200);
  const duration = envInteger('BENCH_DURATION_S', 60);
  const pgUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_bench_');
  const storage = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const llm = new FakeOpenAi();
  llm.fallback = { content: `\`\`\`sql\n${SCRIPTED_SQL}\n\`\`\`` };
  let app: TestApp | undefined;
  try {
    await Promise.all([loadChinookPostgres(pgUrl), llm.start()]);
    app = await startTestApp({
      STORAGE_DIR: storage,
      SAFE_NETWORK_ALLOW: '127.0.0.1',
      ...scriptedLlm(llm),
      // Raised for the run: the benchmark measures the service, not its rate limiter, and all
      // 40 question clients of the one tenant are in flight at once, not 8 and 32 refusals.
      ...UNLIMITED_RATES,
    });
    const token = await app.http.login('admin@acme.test', 'acme-admin-password');
    const { chinookId, csvId } = await seed(app.http, token, pgUrl);
    const mix = routes(chinookId, csvId);
    // One request of each kind first: a broken setup fails here, not as a minute of errors.
    for (const route of mix) {
      for (const req of route.requests) {
        await must(
          await app.http.request(req.method, req.path, {
            token,
            rawBody: req.body,
            headers: { 'content-type': 'application/json' },
          }),
          `warm-up ${route.name} ${req.path}`,
        );
      }
    }

    const perRoute = split(
      connections,
      mix.map((r) => r.share),
    );
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // Each route's clients run in a worker thread, so the API in this process keeps its event loop.
    const results = await Promise.all(
      mix.map((route, i) =>
        autocannon({
          url: app!.baseUrl,
          title: route.name,
          connections: perRoute[i],
          duration,
          workers: 1,
          timeout: envInteger('BENCH_TIMEOUT_S', 30),
          headers,
          requests: route.requests,
        }),
      ),
    );
    const byRoute = Object.fromEntries(mix.map((route, i) => [route.name, figures(results[i], perRoute[i])]));
    const all = Object.values(byRoute);
    const total = {
      connections,
      durationS: duration,
      requests: all.reduce((a, r) => a + r.requests, 0),
      throughputPerSecond: ms(all.reduce((a, r) => a + r.throughputPerSecond, 0)),
      status5xx: all.reduce((a, r) => a + r.status5xx, 0),
      errors: all.reduce((a, r) => a + r.errors, 0),
      llmCalls: llm.requests.length,
    };
    // A request that got no answer at all (timeout, reset) counts against the run like a 5xx.
    return {
      measures: [
        measure({
          what: `5xx or unanswered requests, ${connections} clients for ${duration} s`,
          unit: 'requests',
          figure: total.status5xx + total.errors,
          target: '0 (a soak: no baseline)',
          met: (failed) => failed === 0,
          note: `${total.requests} requests at ${total.throughputPerSecond} req/s`,
        }),
      ],
      details: { total, routes: byRoute },
    };
  } finally {
    await app?.close();
    await llm.stop();
    await dropDatabase(pgUrl);
    rmSync(storage, { recursive: true, force: true });
  }
}
