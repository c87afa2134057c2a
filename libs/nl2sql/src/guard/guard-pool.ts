import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { dialectSpec, type SqlDialect } from '@sluice/core';
import type { SqlReferences } from '@sluice/core';
import type { Explanation } from '../answers/structural-explain';
import type { GuardOptions, GuardResult } from './sql-guard.types';
import type { GuardTask } from './worker/sql-guard.worker';

export interface GuardPoolOptions {
  /** Worker threads at most (default: the cores, at most 4). */
  maxThreads?: number;
  /** A check that takes longer is abandoned and its worker replaced (default 5,000 ms). */
  timeoutMs?: number;
  /** Checks waiting for a free worker at most, beyond which callers are told to come back. */
  maxQueue?: number;
}

/** Nest token for GuardPoolOptions (optional: the defaults suit the API). */
export const GUARD_POOL_OPTIONS = Symbol('GUARD_POOL_OPTIONS');

type Balancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;

export class GuardTimeoutError extends Error {}
export class GuardBusyError extends Error {}

/**
 * The worker threads the guard runs in: parsing is synchronous WebAssembly, and a large
 * statement parsed on the event loop would stall every other request. Each check has a
 * deadline; a check past it is aborted, which terminates its worker (piscina starts another),
 * so nothing is left stuck.
 */
export class GuardPool {
  private pool: Piscina<GuardTask, unknown> | null = null;
  private warm: Promise<unknown> | null = null;
  /** Threads that have loaded the parser (piscina's 'workerCreate' comes once a thread is ready). */
  private readonly ready = new Set<number>();
  readonly timeoutMs: number;

  constructor(private readonly options: GuardPoolOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  private start(): Piscina<GuardTask, unknown> {
    if (this.pool) return this.pool;
    // From the sources (tests), a small JavaScript entry compiles the TypeScript worker on load.
    const fromSources = __filename.endsWith('.ts');
    const maxThreads = this.options.maxThreads ?? Math.max(1, Math.min(4, availableParallelism()));
    // piscina's own balancer, when a thread finishes a task, may hand the next queued task to a
    // thread that is still starting (loading the parser takes seconds on a busy machine). That
    // task waits out the start inside its deadline, times out, its thread is terminated and a new
    // one starts, which catches the next task the same way: ordinary statements were refused
    // for a timeout every few seconds. Tasks go to threads that are ready and idle only.
    const balancer: Balancer = (_task, workers) =>
      workers.find((w) => this.ready.has(w.id) && w.currentUsage === 0 && !w.terminating) ?? null;
    this.pool = new Piscina<GuardTask, unknown>({
      filename: join(__dirname, 'worker', fromSources ? 'sql-guard.worker-source.js' : 'sql-guard.worker.js'),
      minThreads: 1,
      maxThreads,
      maxQueue: this.options.maxQueue ?? maxThreads * 16,
      idleTimeout: 60_000,
      loadBalancer: balancer,
    });
    this.pool.on('workerCreate', (w: { id: number }) => this.ready.add(w.id));
    this.pool.on('workerDestroy', (w: { id: number }) => this.ready.delete(w.id));
    this.warmUp(this.pool);
    return this.pool;
  }

  /** The first task of a worker loads the parser (23 MB of WebAssembly): it gets no deadline. */
  private warmUp(pool: Piscina<GuardTask, unknown>): void {
    this.warm = pool.run({ kind: 'check', sql: 'SELECT 1', options: { dialect: 'sqlite' } }).catch(() => undefined);
  }

  check(sql: string, options: GuardOptions): Promise<GuardResult> {
    return this.run({ kind: 'check', sql, options }) as Promise<GuardResult>;
  }

  /** The structural explanation of a statement (polyglot's query analysis), parsed in a worker too. */
  explain(sql: string, dialect: SqlDialect): Promise<Explanation> {
    return this.run({ kind: 'explain', sql, dialect }) as Promise<Explanation>;
  }

  /** The tables and columns a statement names (polyglot's analysis), parsed in a worker too. */
  references(sql: string, dialect: SqlDialect): Promise<SqlReferences> {
    return this.run({ kind: 'references', sql, dialect }) as Promise<SqlReferences>;
  }

  private async run(task: GuardTask): Promise<unknown> {
    const pool = this.start();
    await this.warm;
    try {
      // The specs of the dialects go along: a worker thread knows no dialect by itself.
      const names = task.kind === 'check' ? [task.options.dialect, task.options.fromDialect] : [task.dialect];
      const specs = names.filter((name): name is SqlDialect => !!name).map((name) => dialectSpec(name));
      return await pool.run({ ...task, specs }, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'AbortError' || name === 'TimeoutError') {
        // The worker was terminated; its replacement loads the parser before the next deadline runs.
        this.warmUp(pool);
        throw new GuardTimeoutError(`over ${this.timeoutMs} ms`);
      }
      if (/queue is at limit/i.test((error as Error).message)) throw new GuardBusyError('queue full');
      throw error;
    }
  }

  /** Live worker threads (a worker whose check timed out is gone, and replaced). */
  get threads(): number {
    return this.pool?.threads.length ?? 0;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.warm = null;
    this.ready.clear();
    if (pool) await pool.destroy();
  }
}
