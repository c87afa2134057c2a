import {
  type DialectSpec,
  registerDialect,
  type SqlDialect,
  loadPolyglot,
  extractReferences,
  SqlReferences,
} from '@sluice/core';
import { Explanation, explainStructurally } from '../../answers/structural-explain';
import { checkSql } from '../sql-check';
import type { GuardOptions, GuardResult } from '../sql-guard.types';

/**
 * What a worker of the guard's pool is asked: check a statement, break it down for an
 * explanation, or list the tables and columns it names.
 */
export type GuardTask = (
  | { kind: 'check'; sql: string; options: GuardOptions }
  | { kind: 'explain'; sql: string; dialect: SqlDialect }
  | { kind: 'references'; sql: string; dialect: SqlDialect }
) & {
  /** The specs of the task's dialects, registered here when this thread does not know them yet. */
  specs?: DialectSpec[];
};

/** One task in a worker thread of the guard's pool (see guard-pool.ts). */
function run(task: GuardTask): Promise<GuardResult | Explanation | SqlReferences> {
  task.specs?.forEach((spec) => registerDialect(spec));
  if (task.kind === 'explain') return explainStructurally(task.sql, task.dialect);
  if (task.kind === 'references') return extractReferences(task.sql, task.dialect);
  return checkSql(task.sql, task.options);
}

/**
 * The handler, once the parser (23 MB of WebAssembly) has loaded. piscina awaits it before it
 * calls a new thread ready, so a thread the pool adds under load (or one replacing a thread
 * stopped at its deadline) takes no task, and spends no task's deadline, while it loads: the
 * tasks go to the threads already warm. A parser that fails to load fails each task instead.
 */
export default loadPolyglot().then(
  () => run,
  () => run,
);
