import { seedMixedConnectors, startBenchApp, serialLatencies, SerialTarget } from './api-app';
import { BenchmarkResult, envInteger, measure, percentile, round } from './benchmark';

export const name = 'auth-overhead';
export const description =
  'serial median latency of authenticated routes (GET /connectors?limit=1, /auth/me, /connector-types) against GET /health/live of the same app';

/** Connectors in the tenant, so the one-row page reads from a table that has rows. */
const CONNECTORS = 20;
const TARGET_MS = 2;

export async function run(): Promise<BenchmarkResult> {
  const rounds = envInteger('BENCH_REQUESTS', 300);
  const warmUp = envInteger('BENCH_WARMUP', 100);
  const app = await startBenchApp({ SAFE_NETWORK_ALLOW: '127.0.0.1' });
  try {
    const token = await app.http.login('admin@acme.test', 'acme-admin-password');
    await seedMixedConnectors(app, token, CONNECTORS);
    const auth = { authorization: `Bearer ${token}` };
    const baseline: SerialTarget = { name: 'live', path: '/health/live' };
    const routes: SerialTarget[] = [
      { name: 'connectors', path: '/api/v1/connectors?limit=1', headers: auth },
      { name: 'me', path: '/api/v1/auth/me', headers: auth },
      { name: 'types', path: '/api/v1/connector-types', headers: auth },
    ];
    const times = await serialLatencies(app.baseUrl, [baseline, ...routes], rounds, warmUp);
    const median = (n: string) => percentile(times[n], 50);
    const base = { what: `GET /health/live, serial median of ${rounds}`, figure: median('live') };
    const measures = routes.map((route) =>
      measure({
        what: `GET ${route.path.replace('/api/v1', '')}, serial median of ${rounds}`,
        unit: 'ms',
        figure: median(route.name),
        baseline: base,
        target: `≤ ${TARGET_MS} ms above the baseline`,
        met: (figure, b) => figure - b <= TARGET_MS,
        note: `${round(median(route.name) - median('live'))} ms above the baseline`,
      }),
    );
    const details = Object.fromEntries(
      [baseline, ...routes].map((t) => [
        t.path,
        {
          p50: round(median(t.name)),
          p90: round(percentile(times[t.name], 90)),
          p99: round(percentile(times[t.name], 99)),
        },
      ]),
    );
    return { measures, details: { requests: rounds, warmUp, latencyMs: details } };
  } finally {
    await app.close();
  }
}
