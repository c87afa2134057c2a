import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { PG_ADMIN_URL, query } from '../helpers/test-env';
import { BenchmarkModule, BenchmarkResult } from './benchmark';

const RESULTS = join(__dirname, 'results.json');

async function discover(): Promise<BenchmarkModule[]> {
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  return Promise.all(files.map(async (f) => (await import(join(__dirname, f))) as BenchmarkModule));
}

/** What the figures were measured on: they mean little without it. */
async function machine(): Promise<Record<string, unknown>> {
  const [pg] = await query<{ server_version: string }>(PG_ADMIN_URL, 'SHOW server_version');
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    postgresql: pg.server_version,
    // Other work on the machine weighs on the figures: the load average when the run began.
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
  };
}

/** Runs the benchmarks named in `args` (all when none), prints and records their figures. */
export async function main(args: string[]): Promise<number> {
  const all = await discover();
  const unknown = args.filter((a) => !all.some((b) => b.name === a));
  if (unknown.length) {
    process.stderr.write(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${all.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const chosen = args.length ? all.filter((b) => args.includes(b.name)) : all;
  const host = await machine();
  const results: Record<string, BenchmarkResult & { startedAt: string }> = {};
  for (const bench of chosen) {
    process.stderr.write(`bench ${bench.name}: ${bench.description}\n`);
    const startedAt = new Date().toISOString();
    results[bench.name] = { startedAt, ...(await bench.run()) };
  }
  const ok = Object.values(results).every((r) => r.ok);
  const report = { ok, machine: host, benchmarks: results };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  // Figures of benchmarks not run this time are kept, each with the machine it ran on.
  const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : { benchmarks: {} };
  const kept = { ...previous.benchmarks };
  for (const [name, result] of Object.entries(results)) kept[name] = { machine: host, ...result };
  writeFileSync(RESULTS, `${JSON.stringify({ benchmarks: kept }, null, 2)}\n`);
  return ok ? 0 : 1;
}
