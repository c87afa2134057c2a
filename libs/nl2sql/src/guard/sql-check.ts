import type { SqlDialect } from '@sluice/connectors/plugin/connector-plugin';
import { loadPolyglot, Polyglot } from '@sluice/core/sql/polyglot';
import { polyglotDialect } from '@sluice/core/sql/sql-analysis';
import { lexicalCheck, uniqueIssues } from './lexical-rules';
import { NameResolver } from './name-resolver';
import { PiiIndex, SchemaIndex } from './schema-index';
import {
  AstNode,
  astRules,
  identName,
  isObject,
  locatorFor,
  QUERY_TYPES,
  WRITE_TYPES,
  nodeData,
  statementKind,
  stripComments,
  walkNodes,
} from './sql-ast';
import { DEFAULT_LIMITS, GuardIssue, GuardLimits, GuardOptions, GuardResult } from './sql-guard.types';
import { applyLimit } from './sql-limit';

const KIND_OF_WORD: Record<string, string> = {
  SELECT: 'select',
  WITH: 'select',
  '(': 'select',
  VALUES: 'values',
  EXPLAIN: 'explain',
  INSERT: 'insert',
  REPLACE: 'insert',
  UPDATE: 'update',
  DELETE: 'delete',
  MERGE: 'merge',
  CREATE: 'ddl',
  DROP: 'ddl',
  ALTER: 'ddl',
  TRUNCATE: 'ddl',
  RENAME: 'ddl',
  SET: 'set',
  RESET: 'set',
  BEGIN: 'transaction',
  START: 'transaction',
  COMMIT: 'transaction',
  ROLLBACK: 'transaction',
  SAVEPOINT: 'transaction',
  END: 'transaction',
};

const READ_ONLY_KINDS = new Set(['select', 'values', 'explain']);

function parseIssue(dialect: SqlDialect, reason: string, line?: number, column?: number): GuardIssue {
  const text = reason.replace(/^(Parse|Tokenization) error at line \d+, column \d+:\s*/, '');
  const where = line ? ` at line ${line}, column ${column ?? 1}` : '';
  return { code: 'PARSE_ERROR', message: `The SQL does not parse as ${dialect}${where}: ${text}`, line, column };
}

/** The deepest nesting of expression nodes under `root`, walked without recursion. */
function treeDepth(p: Polyglot, root: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === 'object') stack.push([v, depth]);
    } else if (isObject(value)) {
      const own = p.ast.isExpressionValue(value) ? depth + 1 : depth;
      deepest = Math.max(deepest, own);
      if (deepest > limit) return deepest;
      for (const child of Object.values(value)) if (child && typeof child === 'object') stack.push([child, own]);
    }
  }
  return deepest;
}

/** What one reading of one text in one dialect is, and what is wrong with it. */
interface Inspection {
  errors: GuardIssue[];
  warnings: GuardIssue[];
  stmt: AstNode | null;
  kind: string;
  readOnly: boolean;
  tables: string[];
  tooComplex?: GuardIssue;
}

/**
 * Every rule over one text in the connector's dialect: lexical rules, one statement that parses
 * and validates, the AST rules (statement kind, functions, catalogs, writes) and the names
 * (schema, pii). Rewrites the AST in place (comments, stars over pii tables).
 */
function inspect(p: Polyglot, text: string, options: GuardOptions, limits: GuardLimits, lexed: boolean): Inspection {
  const { dialect } = options;
  const allowMutations = options.allowMutations === true;
  const out: Inspection = { errors: [], warnings: [], stmt: null, kind: 'unknown', readOnly: false, tables: [] };
  if (!lexed) {
    const lexical = lexicalCheck(text, dialect, allowMutations, limits);
    if (lexical.tooComplex) return { ...out, tooComplex: lexical.tooComplex };
    out.errors.push(...lexical.issues);
    if (!lexical.complete) return out;
  }
  const parsed = p.parse(text, polyglotDialect(dialect));
  if (!parsed.success) {
    out.errors.push(parseIssue(dialect, parsed.error ?? 'unknown parser error', parsed.errorLine, parsed.errorColumn));
    return out;
  }
  const statements = (parsed.ast ?? []) as AstNode[];
  if (statements.length !== 1) {
    out.errors.push(
      statements.length
        ? { code: 'MULTIPLE_STATEMENTS', message: `Only one statement may run; this SQL holds ${statements.length}` }
        : { code: 'SQL_EMPTY', message: 'The SQL holds no statement' },
    );
    return out;
  }
  const depth = treeDepth(p, statements[0], limits.maxTreeDepth);
  if (depth > limits.maxTreeDepth) {
    const message = `The parsed SQL nests more than ${limits.maxTreeDepth} levels deep; the limit is ${limits.maxTreeDepth} (maxTreeDepth)`;
    return { ...out, tooComplex: { code: 'SQL_TOO_COMPLEX', message } };
  }
  // parse() is lenient (`SELEC x` reads as an alias); validate() is not.
  for (const e of p.validate(text, polyglotDialect(dialect)).errors) {
    if (e.severity === 'error') out.errors.push(parseIssue(dialect, e.message, e.line, e.column));
  }
  const stmt = statements[0];
  out.stmt = stmt;
  try {
    stripComments(stmt);
    out.kind = statementKind(stmt);
    const locate = locatorFor(text);
    const verdict = astRules(p, stmt, dialect, allowMutations, locate);
    out.errors.push(...verdict.issues);
    out.readOnly = READ_ONLY_KINDS.has(out.kind) && !verdict.writes;
    const schema = options.schema ? new SchemaIndex(options.schema.tables, dialect) : null;
    const names = new NameResolver(p, dialect, schema, new PiiIndex(options.piiColumns ?? []), locate).resolve(stmt);
    out.errors.push(...names.errors);
    out.warnings.push(...names.warnings);
    out.tables = names.tables;
  } catch (error) {
    // Deny by default: a statement the guard cannot walk does not run.
    out.errors.push({
      code: 'GUARD_ERROR',
      message: `The statement could not be checked: ${(error as Error).message}`,
    });
  }
  return out;
}

/** The SQL that runs, written from the checked AST; null when the generator fails. */
function render(p: Polyglot, stmt: AstNode, kind: string, dialect: SqlDialect): { sql: string } | { error: string } {
  // The generator writes EXPLAIN as DESCRIBE, which PostgreSQL does not know.
  const explain = kind === 'explain';
  const generated = p.generate([explain ? (nodeData(stmt).target as AstNode) : stmt], polyglotDialect(dialect));
  if (!generated.success || generated.sql?.length !== 1) return { error: generated.error ?? 'no SQL' };
  return { sql: `${explain ? 'EXPLAIN ' : ''}${generated.sql[0]}` };
}

/**
 * What a statement reads, as far as the rules care: each table and column named (lower-cased),
 * each query or write nested in it, and each star, counted. Two readings that differ here are
 * two different statements. Function names are left out: the generator may spell a call
 * another way (date_part as EXTRACT), and the last reading is checked against the allow-list.
 */
function fingerprint(p: Polyglot, stmt: AstNode): string {
  const parts: string[] = [];
  walkNodes(p, stmt, (_node, type, data) => {
    if (type === 'column' || type === 'table') {
      const name = [identName(data.schema), identName(data.table), identName(data.name)].filter(Boolean).join('.');
      parts.push(`${type}:${name.toLowerCase()}`);
    } else if (QUERY_TYPES.has(type) || WRITE_TYPES.has(type) || type === 'star' || type === 'subquery') {
      parts.push(type);
    }
  });
  return parts.sort().join('|');
}

/**
 * The SQL guard's decision on one statement, in this thread. Deny by default, decided on the
 * SQL as sent and again on the SQL that will run:
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
  const p = await loadPolyglot();
  const { dialect } = options;
  const allowMutations = options.allowMutations === true;
  const limits: GuardLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const errors: GuardIssue[] = [];
  const warnings: GuardIssue[] = [];
  let kind = 'unknown';
  let readOnly = false;
  let tables: string[] = [];
  const refused = (): GuardResult => ({
    ok: false,
    dialect,
    normalizedSql: sql,
    errors: uniqueIssues(errors),
    warnings,
    statementKind: kind,
    readOnly,
    tables,
  });

  const maxRows = options.maxRows;
  if (maxRows !== undefined && !(Number.isFinite(maxRows) && maxRows >= 1)) {
    errors.push({ code: 'GUARD_OPTIONS', message: `maxRows must be a positive number (got ${maxRows})` });
    return refused();
  }
  const source = options.fromDialect ?? dialect;
  const lexed = lexicalCheck(sql, source, allowMutations, limits);
  if (lexed.tooComplex) {
    errors.push(lexed.tooComplex);
    return refused();
  }
  kind = lexed.firstWord ? (KIND_OF_WORD[lexed.firstWord] ?? 'other') : kind;
  if (lexed.empty) {
    errors.push({ code: 'SQL_EMPTY', message: 'The SQL holds no statement (only comments or semicolons)' });
    return refused();
  }
  errors.push(...lexed.issues);
  if (!lexed.complete) return refused();

  let text = sql;
  if (options.fromDialect && options.fromDialect !== dialect) {
    if (errors.length) return refused();
    const transpiled = p.transpile(sql, polyglotDialect(options.fromDialect), polyglotDialect(dialect));
    if (!transpiled.success || !transpiled.sql) {
      const issue = parseIssue(
        options.fromDialect,
        transpiled.error ?? 'unknown error',
        transpiled.errorLine,
        transpiled.errorColumn,
      );
      errors.push({
        ...issue,
        code: 'TRANSPILE_FAILED',
        message: `Transpiling from ${options.fromDialect} to ${dialect} failed: ${issue.message}`,
      });
      return refused();
    }
    if (transpiled.sql.length !== 1) {
      errors.push({
        code: 'MULTIPLE_STATEMENTS',
        message: `Only one statement may run; this SQL holds ${transpiled.sql.length}`,
      });
      return refused();
    }
    text = transpiled.sql[0];
  }

  const first = inspect(p, text, options, limits, text === sql);
  if (first.tooComplex) {
    errors.push(first.tooComplex);
    return refused();
  }
  errors.push(...first.errors);
  warnings.push(...first.warnings);
  if (first.stmt) kind = first.kind;
  readOnly = first.readOnly;
  tables = first.tables;
  if (errors.length || !first.stmt) return refused();

  let stmt = first.stmt;
  const limit = (node: AstNode, notes: GuardIssue[]): AstNode => {
    if (!(readOnly && kind === 'select' && maxRows !== undefined)) return node;
    const limited = applyLimit(p, node, Math.floor(maxRows));
    if (limited.warning) notes.push({ code: 'LIMIT_LOWERED', message: limited.warning });
    return limited.node;
  };
  stmt = limit(stmt, warnings);
  const written = render(p, stmt, kind, dialect);
  if ('error' in written) {
    errors.push({ code: 'GUARD_ERROR', message: `The checked statement could not be written back: ${written.error}` });
    return refused();
  }

  // The second pass: what runs is read again and must pass every rule. The generator may
  // respell a construct once (date_part('day', x) as EXTRACT(day FROM x), then DAY): the
  // respelled text is checked in its turn and must then be written back unchanged.
  let normalizedSql = written.sql;
  let checked: { stmt: AstNode; kind: string; readOnly: boolean; tables: string[] } | null = null;
  for (let pass = 2; pass <= 3 && !checked; pass++) {
    const again = inspect(p, normalizedSql, options, limits, false);
    const problems = again.tooComplex ? [again.tooComplex] : again.errors;
    if (problems.length || !again.stmt) {
      errors.push(...problems.map((i) => ({ code: i.code, message: `In the SQL to run: ${i.message}` })));
      if (!problems.length) errors.push({ code: 'GUARD_ERROR', message: 'The SQL to run holds no statement' });
      return refused();
    }
    const limited = limit(again.stmt, []);
    const rewritten = render(p, limited, again.kind, dialect);
    if ('error' in rewritten) {
      errors.push({ code: 'GUARD_ERROR', message: `The SQL to run could not be written back: ${rewritten.error}` });
      return refused();
    }
    if (rewritten.sql === normalizedSql) checked = { ...again, stmt: limited };
    else if (pass === 3) {
      errors.push({
        code: 'RECHECK_MISMATCH',
        message: 'The SQL to run is written back differently each time it is read; it is refused',
      });
      return refused();
    } else normalizedSql = rewritten.sql;
  }
  const differences = [
    checked!.kind !== kind || checked!.readOnly !== readOnly ? `it is a ${checked!.kind} statement` : '',
    checked!.tables.join(',').toLowerCase() !== tables.join(',').toLowerCase() ? 'it reads other tables' : '',
    fingerprint(p, checked!.stmt) !== fingerprint(p, stmt) ? 'it names other columns or queries' : '',
  ].filter(Boolean);
  if (differences.length) {
    errors.push({
      code: 'RECHECK_MISMATCH',
      message: `The SQL to run does not read as the SQL that was checked (${differences.join('; ')}); it is refused`,
    });
    return refused();
  }
  return { ok: true, dialect, normalizedSql, errors: [], warnings, statementKind: kind, readOnly, tables };
}

/** True when a refusal is only about size: the caller answers 400 SQL_TOO_COMPLEX rather than 422. */
export const isTooComplex = (result: GuardResult): boolean =>
  !result.ok && result.errors.length > 0 && result.errors.every((e) => e.code === 'SQL_TOO_COMPLEX');
