import { type DialectSpec, registerDialect, type SqlDialect } from '@sluice/core/sql/dialect-registry';
import { loadPolyglot } from '@sluice/core/sql/polyglot';
import { extractReferences, SqlReferences } from '@sluice/core/sql/sql-analysis';
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
  /** The spec of the task's dialect, registered here when this thread does not know it yet. */
  spec?: DialectSpec;
};

// A new worker (also one replacing a worker stopped at its deadline) loads the parser at once.
void loadPolyglot().catch(() => undefined);

/** One task in a worker thread of the guard's pool (see guard-pool.ts). */
export default function run(task: GuardTask): Promise<GuardResult | Explanation | SqlReferences> {
  if (task.spec) registerDialect(task.spec);
  if (task.kind === 'explain') return explainStructurally(task.sql, task.dialect);
  if (task.kind === 'references') return extractReferences(task.sql, task.dialect);
  return checkSql(task.sql, task.options);
}
