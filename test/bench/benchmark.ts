/**
 * The contract of a benchmark: a `*.bench.ts` file in test/bench/ exporting `name`,
 * `description` and `run`. The runner (test/bench/run.js) finds every such file, runs the ones
 * asked for by name, prints the figures as JSON and keeps them in test/bench/results.json.
 */
export interface BenchmarkResult {
  /** False when the benchmark's own success rule failed (the runner then exits non-zero). */
  ok: boolean;
  [figure: string]: unknown;
}

export interface BenchmarkModule {
  name: string;
  description: string;
  run(): Promise<BenchmarkResult>;
}

/** A positive integer from the environment, else the default (a benchmark's knobs). */
export function envInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}
