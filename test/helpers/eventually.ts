import { inspect } from 'node:util';

function readSlowdown(): number {
  const raw = process.env.TEST_SLOWDOWN;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 1) throw new Error(`TEST_SLOWDOWN must be a number >= 1, got "${raw}"`);
  return value;
}

/**
 * How much slower than a quiet developer machine this one may be (`TEST_SLOWDOWN`, default 1).
 * Every time bound in the tests goes through `scaled()`, so a loaded CI runner raises them all
 * in one place instead of each test guessing its own margin.
 */
export const SLOWDOWN = readSlowdown();

/** A time bound in milliseconds, stretched by `TEST_SLOWDOWN`. */
export function scaled(ms: number): number {
  return Math.ceil(ms * SLOWDOWN);
}

/**
 * A Jest timeout for a test that spawns `spawns` built processes (each boots Node, Nest and its
 * connections: seconds on a loaded 2-core machine), plus `extraMs` for the rest of its work.
 */
export function spawnTimeout(spawns: number, extraMs = 10_000): number {
  return scaled(spawns * 20_000 + extraMs);
}

export interface EventuallyOptions {
  /** Pause between probes (ms). */
  intervalMs?: number;
  /** What is awaited, for the message on timeout. */
  what?: string;
}

/**
 * Probes until `predicate` holds for the probe's value, and returns that value. A probe that
 * throws counts as "not yet". Throws after `timeoutMs` (scaled by `TEST_SLOWDOWN`), saying what
 * was awaited and the last value or error seen, so a timeout is never a silent pass.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs: number,
  options: EventuallyOptions = {},
): Promise<T> {
  const limit = scaled(timeoutMs);
  const interval = options.intervalMs ?? 50;
  const until = Date.now() + limit;
  let last: { value: T } | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      last = { value };
      lastError = undefined;
      if (predicate(value)) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, interval));
  }
  const seen =
    lastError !== undefined
      ? `last probe threw: ${lastError instanceof Error ? lastError.message : inspect(lastError)}`
      : last
        ? `last value: ${inspect(last.value, { depth: 4, breakLength: Infinity })}`
        : 'no probe finished';
  throw new Error(`eventually: ${options.what ?? 'condition'} not met within ${limit} ms (${seen})`);
}

/**
 * Runs `work` to its end and fails when it took longer than `limitMs` (scaled by
 * `TEST_SLOWDOWN`). Only for tests whose point is the bound itself (a timeout that must fire);
 * everything else asserts causes.
 */
export async function withinTime<T>(limitMs: number, what: string, work: () => Promise<T>): Promise<T> {
  const limit = scaled(limitMs);
  const started = performance.now();
  const value = await work();
  const took = Math.round(performance.now() - started);
  if (took > limit) throw new Error(`${what} took ${took} ms, more than the ${limit} ms allowed`);
  return value;
}
