import type { SqlDialect } from '@sluice/connectors/plugin/connector-plugin';
import { loadPolyglot } from '@sluice/core/sql/polyglot';
import { Explanation, explainStructurally } from '../../answers/structural-explain';
import { checkSql } from '../sql-check';
import type { GuardOptions, GuardResult } from '../sql-guard.types';

/** What a worker of the guard's pool is asked: check a statement, or break it down for an explanation. */
export type GuardTask =
  { kind: 'check'; sql: string; options: GuardOptions } | { kind: 'explain'; sql: string; dialect: SqlDialect };

// A new worker (also one replacing a worker stopped at its deadline) loads the parser at once.
void loadPolyglot().catch(() => undefined);

/** One task in a worker thread of the guard's pool (see guard-pool.ts). */
export default function run(task: GuardTask): Promise<GuardResult | Explanation> {
  return task.kind === 'explain' ? explainStructurally(task.sql, task.dialect) : checkSql(task.sql, task.options);
}
