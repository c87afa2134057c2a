import { checkSql } from '../sql-check';
import type { GuardOptions, GuardResult } from '../sql-guard.types';

export interface GuardTask {
  sql: string;
  options: GuardOptions;
}

/** One check in a worker thread of the guard's pool (see guard-pool.ts). */
export default function check(task: GuardTask): Promise<GuardResult> {
  return checkSql(task.sql, task.options);
}
