import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { PG_ADMIN_URL, query } from '../helpers/test-env';
import { BenchmarkModule, BenchmarkResult, Measure } from './benchmark';

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

type Recorded = BenchmarkResult & { startedAt: string; durationS: number; machine?: Record<string, unknown> };

/** The measures as a plain-text table, one row per measure, a missed target marked. */
export function table(results: Record<string, Recorded>): string {
  const head = ['benchmark', 'measure', 'figure', 'baseline', 'ratio', 'target', 'met'];
  const rows: string[][] = [];
  for (const [name, result] of Object.entries(results)) {
    for (const m of result.measures as Measure[]) {
      rows.push([
        name,
        m.what,
        `${m.figure} ${m.unit}`,
        m.baseline ? `${m.baseline.figure} ${m.unit} (${m.baseline.what})` : '—',
        m.ratio === null ? '—' : String(m.ratio),
        m.target,
        m.met ? 'yes' : 'MISSED',
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

/** Runs the benchmarks named in `args` (all when none), prints and records their measures. */
export async function main(args: string[]): Promise<number> {
  const all = await discover();
  const unknown = args.filter((a) => !all.some((b) => b.name === a));
  if (unknown.length) {
    process.stderr.write(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${all.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const chosen = args.length ? all.filter((b) => args.includes(b.name)) : all;
  const host = await machine();
  const results: Record<string, Recorded> = {};
  for (const bench of chosen) {
    process.stderr.write(`bench ${bench.name}: ${bench.description}\n`);
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const result = await bench.run();
    results[bench.name] = { startedAt, durationS: Math.round((performance.now() - t0) / 100) / 10, ...result };
    if (chosen.length > 1) process.stderr.write(`${table({ [bench.name]: results[bench.name] })}\n\n`);
  }
  const ok = Object.values(results).every((r) => r.measures.every((m) => m.met));
  // The table for a reader, on stderr; the JSON for a program, on stdout.
  process.stderr.write(`${table(results)}\n`);
  process.stdout.write(`${JSON.stringify({ ok, machine: host, benchmarks: results }, null, 2)}\n`);
  // Figures of benchmarks not run this time are kept, each with the machine it ran on.
  const previous = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) : { benchmarks: {} };
  const kept: Record<string, Recorded> = {};
  for (const [name, result] of Object.entries(previous.benchmarks ?? {}) as Array<[string, Recorded]>) {
    if (all.some((b) => b.name === name) && Array.isArray(result.measures)) kept[name] = result;
  }
  for (const [name, result] of Object.entries(results)) kept[name] = { machine: host, ...result };
  writeFileSync(RESULTS, `${JSON.stringify({ benchmarks: kept }, null, 2)}\n`);
  process.stderr.write(`${ok ? 'every target met' : 'some targets MISSED'}; measures kept in ${RESULTS}\n`);
  return ok ? 0 : 1;
}
