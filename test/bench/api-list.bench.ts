import autocannon, { Result } from 'autocannon';
import { Agent } from 'node:http';
import { addBareRoute, seedMixedConnectors, send, startBenchApp } from './api-app';
import { BenchmarkResult, envInteger, measure, round } from './benchmark';

export const name = 'api-list';
export const description =
  'GET /connectors?limit=100 for a tenant with 1,000 connectors at 100 concurrent clients, against a bare Express route of the same app answering the same JSON from memory';

const CONNECTORS = 1_000;
const LIST_PATH = '/api/v1/connectors?limit=100';
const BARE_PATH = '/bench/connectors-from-memory';
const TARGET_SHARE = 0.4;

function load(url: string, headers: Record<string, string>, connections: number, duration: number): Promise<Result> {
  // In a worker thread, so the load generator does not run on the API's event loop.
  return autocannon({ url, connections, duration, workers: 1, headers, timeout: 30 });
}

function figures(result: Result) {
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return {
    requestsPerSecond: round(result.requests.average),
    requests: result.requests.total,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    failed: non2xx,
  };
}

export async function run(): Promise<BenchmarkResult> {
  const connections = envInteger('BENCH_CONNECTIONS', 100);
  const duration = envInteger('BENCH_DURATION_S', 12);
  const app = await startBenchApp({ SAFE_NETWORK_ALLOW: '127.0.0.1' });
  try {
    const token = await app.http.login('admin@acme.test', 'acme-admin-password');
    await seedMixedConnectors(app, token, CONNECTORS);
    const auth = { authorization: `Bearer ${token}` };
    // The bare route answers what the API answered, parsed once and serialised on every request
    // as the API does: the difference between the two is what the API does besides HTTP and JSON.
    const agent = new Agent({ keepAlive: true });
    const first = await send(agent, app.baseUrl, LIST_PATH, auth);
    agent.destroy();
    if (first.status !== 200) throw new Error(`${LIST_PATH} answered ${first.status}: ${first.body.slice(0, 300)}`);
    const page = JSON.parse(first.body) as { data: unknown[]; pagination: { total: number } };
    if (page.data.length !== 100 || page.pagination.total !== CONNECTORS)
      throw new Error(`expected 100 of ${CONNECTORS} connectors, got ${page.data.length} of ${page.pagination.total}`);
    addBareRoute(app, BARE_PATH, (_req, res) => {
      res.json(page);
    });

    // A short warm-up of each side (JIT, pools), then the measured runs.
    await load(`${app.baseUrl}${BARE_PATH}`, auth, connections, 2);
    await load(`${app.baseUrl}${LIST_PATH}`, auth, connections, 2);
    const bare = figures(await load(`${app.baseUrl}${BARE_PATH}`, auth, connections, duration));
    const list = figures(await load(`${app.baseUrl}${LIST_PATH}`, auth, connections, duration));
    const failed = bare.failed + list.failed;
    const setting = `${connections} clients, ${duration} s`;
    return {
      measures: [
        measure({
          what: `GET /connectors?limit=100 of ${CONNECTORS}, ${setting}`,
          unit: 'req/s',
          figure: list.requestsPerSecond,
          baseline: { what: 'a bare route of the same app, same JSON from memory', figure: bare.requestsPerSecond },
          target: `≥ ${TARGET_SHARE * 100}% of the baseline's req/s`,
          met: (figure, base) => failed === 0 && figure >= TARGET_SHARE * base,
          note: `p99 ${list.latencyMs.p99} ms against ${bare.latencyMs.p99} ms${failed ? `; ${failed} failed requests` : ''}`,
        }),
        measure({
          what: `GET /connectors?limit=100 of ${CONNECTORS}, ${setting}, p99`,
          unit: 'ms',
          figure: list.latencyMs.p99,
          baseline: { what: 'the bare route, p99', figure: bare.latencyMs.p99 },
          target: 'reported beside the throughput (no target of its own)',
          met: () => true,
        }),
      ],
      details: { connectors: CONNECTORS, connections, durationS: duration, list, bare },
    };
  } finally {
    await app.close();
  }
}
