import { loadPolyglot } from '@sluice/core';
import { runStages } from './guard-stage';
import { uniqueIssues } from './lexical-rules';
import { CHECK_STAGES, CheckState } from './sql-check-stages';
import { DEFAULT_LIMITS, GuardOptions, GuardResult } from './sql-guard.types';

export { CHECK_STAGES } from './sql-check-stages';
export { INSPECTION_STAGES } from './sql-inspection';

/**
 * The SQL guard's decision on one statement, in this thread. Deny by default, decided on the
 * SQL as sent and again on the SQL that will run, by the stages of CHECK_STAGES in order:
 *
 * 1. Size limits (length, tokens, nesting), lexical rules over the source (one statement, an
 *    allowed first word, no forbidden word or dangerous call, no executable comment), then the
 *    transpile when `fromDialect` is given.
 * 2. The parsed statement: its kind, every node against the allow-lists (functions per dialect,
 *    catalogs), writes, INTO, locks, then tables, columns and pii against the schema.
 * 3. The SQL to run is generated from the checked AST (comments dropped, LIMIT applied, stars
 *    over pii tables spelled out), then parsed again and put through every rule of 1 and 2 once
 *    more. It must pass, generate to the same text, and name the same tables, columns,
 *    functions and node types as the AST that was checked: if the generator changed what a
 *    name means (a quoted name written back unquoted), the two readings differ and the SQL is
 *    refused.
 */
export async function checkSql(sql: string, options: GuardOptions): Promise<GuardResult> {
  const state: CheckState = {
    p: await loadPolyglot(),
    sql,
    options,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    errors: [],
    warnings: [],
    kind: 'unknown',
    readOnly: false,
    tables: [],
    text: sql,
    stmt: null,
    normalizedSql: sql,
    rechecked: null,
  };
  const passed = runStages(CHECK_STAGES, state);
  const { dialect } = options;
  const { warnings, kind: statementKind, readOnly, tables } = state;
  if (passed) {
    return {
      ok: true,
      dialect,
      normalizedSql: state.normalizedSql,
      errors: [],
      warnings,
      statementKind,
      readOnly,
      tables,
    };
  }
  const errors = uniqueIssues(state.errors);
  return { ok: false, dialect, normalizedSql: sql, errors, warnings, statementKind, readOnly, tables };
}

/** True when a refusal is only about size: the caller answers 400 SQL_TOO_COMPLEX rather than 422. */
export const isTooComplex = (result: GuardResult): boolean =>
  !result.ok && result.errors.length > 0 && result.errors.every((e) => e.code === 'SQL_TOO_COMPLEX');
