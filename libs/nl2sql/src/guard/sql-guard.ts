import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import type { SqlDialect } from '@sluice/connectors';
import { DomainError, MetricsService, ServiceUnavailableError } from '@sluice/core';
import type { SqlReferences } from '@sluice/core';
import type { Explanation } from '../answers/structural-explain';
import { GUARD_POOL_OPTIONS, GuardBusyError, GuardPool, GuardPoolOptions, GuardTimeoutError } from './guard-pool';
import { isTooComplex } from './sql-check';
import type { GuardOptions, GuardResult } from './sql-guard.types';
import { assertWithinLimits, SqlTooComplexError } from './sql-limits';

export type { GuardDialect, GuardIssue, GuardLimits, GuardOptions, GuardResult } from './sql-guard.types';
export { DEFAULT_LIMITS } from './sql-guard.types';
export { assertWithinLimits, SqlTooComplexError } from './sql-limits';

const unchecked = (sql: string, options: GuardOptions, error: unknown): GuardResult => ({
  ok: false,
  dialect: options.dialect,
  normalizedSql: sql,
  errors: [{ code: 'GUARD_ERROR', message: `The statement could not be checked: ${(error as Error).message}` }],
  warnings: [],
  statementKind: 'unknown',
  readOnly: false,
  tables: [],
});

/**
 * The SQL guard of NL2SQL: nothing from an LLM or a user runs before it says ok. The rules are
 * the ordered stages of sql-check-stages.ts and sql-inspection.ts, run by checkSql (sql-check.ts;
 * checked twice: on the SQL sent and on the SQL that will run); this service
 * runs them in a pool of worker threads with a deadline, so a hostile statement costs one
 * worker for a bounded time and never the event loop.
 *
 * Refusals come back as `ok: false` with the reasons, except size: a statement past a limit
 * (length, tokens, nesting) or whose check times out throws SqlTooComplexError (400), and a
 * full queue throws 503 GUARD_BUSY.
 */
@Injectable()
export class SqlGuard implements OnModuleDestroy {
  private readonly pool: GuardPool;

  constructor(
    @Optional() @Inject(GUARD_POOL_OPTIONS) options?: GuardPoolOptions,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.pool = new GuardPool(options ?? {});
  }

  async check(sql: string, options: GuardOptions): Promise<GuardResult> {
    const result = await this.inPool(() => this.pool.check(sql, options)).catch((error: unknown) => {
      if (error instanceof SqlTooComplexError) this.metrics?.guardRefused([error.code]);
      if (error instanceof DomainError) throw error;
      // Deny by default: a check that failed (a worker that died, a parser that trapped) refuses.
      return unchecked(sql, options, error);
    });
    // Counted by rule for /metrics: only the codes, never the statement.
    if (!result.ok) this.metrics?.guardRefused(result.errors.map((e) => e.code));
    if (isTooComplex(result)) throw new SqlTooComplexError(result.errors.map((e) => e.message).join('; '));
    return result;
  }

  /**
   * The explanation built from the parsed statement (no LLM), parsed in the pool under the same
   * size limits and deadline as a check.
   */
  explainStructure(sql: string, dialect: SqlDialect): Promise<Explanation> {
    assertWithinLimits(sql, dialect);
    return this.inPool(() => this.pool.explain(sql, dialect));
  }

  /**
   * The tables and columns a statement names, parsed in the pool like every check (stored
   * examples are read on each question; their parse must not hold the event loop).
   */
  references(sql: string, dialect: SqlDialect): Promise<SqlReferences> {
    return this.inPool(() => this.pool.references(sql, dialect));
  }

  private async inPool<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (error) {
      if (error instanceof GuardTimeoutError) {
        throw new SqlTooComplexError(
          `Checking the SQL did not finish within ${this.pool.timeoutMs} ms (timeout); simplify the statement or try again`,
        );
      }
      if (error instanceof GuardBusyError) {
        throw new ServiceUnavailableError('GUARD_BUSY', 'The SQL guard is busy; try again in a moment');
      }
      throw error;
    }
  }

  /** Live worker threads of the guard's pool. */
  get threads(): number {
    return this.pool.threads;
  }

  onModuleDestroy(): Promise<void> {
    return this.pool.close();
  }

  /** Stops the worker threads (tests and scripts that construct the guard themselves). */
  close(): Promise<void> {
    return this.pool.close();
  }
}
