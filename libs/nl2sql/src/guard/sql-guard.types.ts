import type { SqlDialect, TableInfo } from '@sluice/connectors';

/** The dialects the guard checks: those of the SQL connectors. */
export type GuardDialect = SqlDialect;

export interface GuardOptions {
  /** The connector's dialect: the SQL is parsed, checked and generated in it. */
  dialect: SqlDialect;
  /** The cached schema; when given, unknown tables and columns are errors. */
  schema?: { tables: TableInfo[] };
  /** True only when the caller is an admin who asked for it: INSERT, UPDATE, DELETE and MERGE may run. */
  allowMutations?: boolean;
  /** LIMIT added when missing, lowered when larger (read-only queries). */
  maxRows?: number;
  /** Transpile from this dialect to `dialect` first. */
  fromDialect?: SqlDialect;
  /**
   * Columns withheld from this caller. `table` is the schema-qualified key (`public.customer`),
   * or the bare name for engines without schemas (SQLite).
   */
  piiColumns?: Array<{ table: string; column: string }>;
  /** Size limits; past one the SQL is refused with SQL_TOO_COMPLEX before it is parsed. */
  limits?: Partial<GuardLimits>;
}

/**
 * How large a statement the guard reads at all. The largest gold query of defog, Spider and
 * BIRD (1,577 characters, 319 tokens, 6 levels of brackets) fits with a margin of 4 to 6; past
 * these limits a parse costs seconds of a worker and nothing a question needs. The parser
 * itself gives up at 33 levels.
 */
export interface GuardLimits {
  /** Characters. */
  maxLength: number;
  /** Tokens of the lexer (words, literals, symbols). */
  maxTokens: number;
  /** Nesting of brackets, CASE ... END and prefix operators in a row, as lexed. */
  maxDepth: number;
  /** Nesting of the parsed tree (a chain of 1,000 ORs is 1,000 deep without a bracket). */
  maxTreeDepth: number;
}

export const DEFAULT_LIMITS: GuardLimits = {
  maxLength: 10_000,
  maxTokens: 1_500,
  maxDepth: 24,
  maxTreeDepth: 400,
};
/** One reason to refuse (or a remark); precise, because it goes back to the LLM for another attempt. */
export interface GuardIssue {
  code: string;
  message: string;
  /** 1-based, in the SQL as sent (or as transpiled, when `fromDialect` was given). */
  line?: number;
  column?: number;
}

export interface GuardResult {
  ok: boolean;
  dialect: SqlDialect;
  /** What will run: transpiled, comments dropped, LIMIT applied, stars over pii tables spelled out; the input when not ok. */
  normalizedSql: string;
  errors: GuardIssue[];
  warnings: GuardIssue[];
  /** 'select' | 'values' | 'explain' | 'insert' | 'update' | 'delete' | 'merge' | 'ddl' | 'set' | 'transaction' | 'other' | 'unknown' */
  statementKind: string;
  readOnly: boolean;
  /** Tables the statement reads or writes, as written (CTE names left out). */
  tables: string[];
}
