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

// A new worker (also one replacing a worker stopped at its deadline) loads the parser at once.
void loadPolyglot().catch(() => undefined);

/** One task in a worker thread of the guard's pool (see guard-pool.ts). */
export default function run(task: GuardTask): Promise<GuardResult | Explanation | SqlReferences> {
  task.specs?.forEach((spec) => registerDialect(spec));
  if (task.kind === 'explain') return explainStructurally(task.sql, task.dialect);
  if (task.kind === 'references') return extractReferences(task.sql, task.dialect);
  return checkSql(task.sql, task.options);
}
