import type { AuthContext } from '@sluice/auth';
import { EnvDto, ForbiddenError, UnprocessableError } from '@sluice/core';
import type { GuardResult } from './guard/sql-guard';
import type { ValidationDto } from './dto/nl2sql.dto';

/** Rules shared by generated SQL and the caller's own: who may write, how many rows, how refusals read. */

export function validationOf(result: GuardResult): ValidationDto {
  return {
    ok: result.ok,
    dialect: result.dialect,
    normalizedSql: result.normalizedSql,
    errors: result.errors,
    warnings: result.warnings,
  };
}

export const reasonOf = (result: GuardResult): string => result.errors.map((e) => e.message).join('; ');

/** Whether the SQL may change data: only when asked, and only for admins (403 otherwise). */
export function mutationsAllowed(auth: AuthContext, asked: boolean | undefined): boolean {
  if (!asked) return false;
  if (auth.role !== 'admin') {
    throw new ForbiddenError('MUTATIONS_FORBIDDEN', 'Only admins may run SQL that changes data (allowMutations)');
  }
  return true;
}

/** The rows asked for, never above SQL_MAX_ROWS. */
export function maxRowsFor(env: EnvDto, asked: number | undefined): number {
  return Math.min(asked ?? env.SQL_MAX_ROWS, env.SQL_MAX_ROWS);
}

export function rejected(checked: GuardResult): UnprocessableError {
  return new UnprocessableError('SQL_REJECTED', `The SQL was refused: ${reasonOf(checked)}`, checked.errors);
}
