/**
 * The contract of a benchmark: a `*.bench.ts` file in test/bench/ exporting `name`,
 * `description` and `run`. The runner (test/bench/run.js) finds every such file, runs the ones
 * asked for by name, prints a table of the measures, and keeps them in test/bench/results.json.
 *
 * Every measure stands beside a baseline measured in the same run (so a loaded or slower machine
 * moves both), and carries the target it is held to and whether this run met it.
 */
export interface Measure {
  /** What was measured, e.g. "GET /connectors?limit=1, serial median". */
  what: string;
  unit: string;
  figure: number;
  /** The same-run reference: what it is and its figure (absent where the target is absolute). */
  baseline: { what: string; figure: number } | null;
  /** figure / baseline.figure, when there is a baseline. */
  ratio: number | null;
  /** The target in words, e.g. "≤ 2 ms above the baseline". */
  target: string;
  met: boolean;
  /** Why a missed target is missed, or what else a reader needs to read the figure. */
  note?: string;
}

export interface BenchmarkResult {
  measures: Measure[];
  /** Further figures (percentiles, counts, per-set breakdowns) kept in results.json only. */
  details?: Record<string, unknown>;
}

export interface BenchmarkModule {
  name: string;
  description: string;
  run(): Promise<BenchmarkResult>;
}

/** Rounds a figure for the report: 3 significant decimals below 10, 2 below 1,000, else whole. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  const digits = abs < 10 ? 3 : abs < 1_000 ? 2 : 0;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * One measure. `met` decides the target from the figure and the baseline's figure; the ratio is
 * computed here so every benchmark reports it the same way.
 */
export function measure(m: {
  what: string;
  unit: string;
  figure: number;
  baseline?: { what: string; figure: number } | null;
  target: string;
  met: (figure: number, baseline: number) => boolean;
  note?: string;
}): Measure {
  const baseline = m.baseline ? { what: m.baseline.what, figure: round(m.baseline.figure) } : null;
  const ratio = m.baseline && m.baseline.figure !== 0 ? round(m.figure / m.baseline.figure) : null;
  const result: Measure = {
    what: m.what,
    unit: m.unit,
    figure: round(m.figure),
    baseline,
    ratio,
    target: m.target,
    met: m.met(m.figure, m.baseline?.figure ?? Number.NaN),
  };
  if (m.note) result.note = m.note;
  return result;
}

/** A positive integer from the environment, else the default (a benchmark's knobs). */
export function envInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** The p-th percentile (0–100) of a list of numbers, by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Environment for an app under benchmark: every rate limit raised, since the run measures the service. */
export const UNLIMITED_RATES: Record<string, string> = {
  RATE_LIMIT_PER_MINUTE: '1000000000',
  PROBE_RATE_LIMIT_PER_MINUTE: '1000000000',
  LOGIN_RATE_LIMIT_PER_IP: '1000000000',
  LOGIN_RATE_LIMIT_PER_ACCOUNT: '1000000000',
  WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000000',
  NL2SQL_MAX_CONCURRENT_PER_TENANT: '1000',
};
