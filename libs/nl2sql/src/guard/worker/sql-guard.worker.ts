import { loadPolyglot } from '@sluice/core/sql/polyglot';
import { checkSql } from '../sql-check';
import type { GuardOptions, GuardResult } from '../sql-guard.types';

export interface GuardTask {
  sql: string;
  options: GuardOptions;
}

// A new worker (also one replacing a worker stopped at its deadline) loads the parser at once.
void loadPolyglot().catch(() => undefined);

/** One check in a worker thread of the guard's pool (see guard-pool.ts). */
export default function check(task: GuardTask): Promise<GuardResult> {
  return checkSql(task.sql, task.options);
}
