import type { SqlDialect } from '@sluice/connectors';
import { BadRequestError } from '@sluice/core';
import { lexicalCheck } from './lexical-rules';
import { DEFAULT_LIMITS, GuardLimits } from './sql-guard.types';

/** 400 SQL_TOO_COMPLEX: the statement is past a size limit, or its check ran out of time. */
export class SqlTooComplexError extends BadRequestError {
  constructor(message: string) {
    super('SQL_TOO_COMPLEX', message, [{ field: 'sql', messages: [message] }]);
  }
}

/**
 * Throws SqlTooComplexError when `sql` is past the guard's size limits. Linear and cheap: for
 * code that parses SQL on the event loop without the guard (explanations), so it parses no
 * more than the guard would.
 */
export function assertWithinLimits(sql: string, dialect: SqlDialect, limits: Partial<GuardLimits> = {}): void {
  const verdict = lexicalCheck(sql, dialect, false, { ...DEFAULT_LIMITS, ...limits });
  if (verdict.tooComplex) throw new SqlTooComplexError(verdict.tooComplex.message);
}
