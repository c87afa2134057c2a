import type { SqlDialect } from '@sluice/connectors';
import type { Polyglot } from '@sluice/core';
import { polyglotDialect } from '@sluice/core';
import { GuardStage } from './guard-stage';
import { lexicalCheck } from './lexical-rules';
import { AstNode, identName, nodeData, QUERY_TYPES, walkNodes, WRITE_TYPES } from './sql-ast';
import type { GuardIssue, GuardLimits, GuardOptions } from './sql-guard.types';
import { inspect, parseIssue } from './sql-inspection';
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

/** A check in progress: its input, what was found so far, and the SQL that will run. */
export interface CheckState {
  readonly p: Polyglot;
  readonly sql: string;
  readonly options: GuardOptions;
  readonly limits: GuardLimits;
  errors: GuardIssue[];
  warnings: GuardIssue[];
  kind: string;
  readOnly: boolean;
  tables: string[];
  /** The text inspected first: the SQL as sent, or as transpiled from `fromDialect`. */
  text: string;
  /** The checked statement, LIMIT applied. */
  stmt: AstNode | null;
  normalizedSql: string;
  /** The SQL to run as read again in the second pass. */
  rechecked: { stmt: AstNode; kind: string; readOnly: boolean; tables: string[] } | null;
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

/** LIMIT maxRows on a read-only SELECT (as the first pass read it); other statements as they are. */
function limited(s: CheckState, node: AstNode, notes: GuardIssue[]): AstNode {
  const { maxRows } = s.options;
  if (!(s.readOnly && s.kind === 'select' && maxRows !== undefined)) return node;
  const outcome = applyLimit(s.p, node, Math.floor(maxRows));
  if (outcome.warning) notes.push({ code: 'LIMIT_LOWERED', message: outcome.warning });
  return outcome.node;
}

const refuse = (s: CheckState, ...issues: GuardIssue[]) => (s.errors.push(...issues), 'stop' as const);

/**
 * One reading of the SQL to run in the second pass: refused, rechecked (it writes back to
 * itself), or respelled (read it again).
 */
function readAgain(s: CheckState, pass: number): 'stop' | 'done' | 'again' {
  const again = inspect(s.p, s.normalizedSql, s.options, s.limits, false);
  const problems = again.tooComplex ? [again.tooComplex] : again.errors;
  if (problems.length || !again.stmt) {
    s.errors.push(...problems.map((i) => ({ code: i.code, message: `In the SQL to run: ${i.message}` })));
    if (!problems.length) s.errors.push({ code: 'GUARD_ERROR', message: 'The SQL to run holds no statement' });
    return 'stop';
  }
  const stmt = limited(s, again.stmt, []);
  const rewritten = render(s.p, stmt, again.kind, s.options.dialect);
  if ('error' in rewritten) {
    return refuse(s, { code: 'GUARD_ERROR', message: `The SQL to run could not be written back: ${rewritten.error}` });
  }
  if (rewritten.sql === s.normalizedSql) return ((s.rechecked = { ...again, stmt }), 'done');
  if (pass === 3) {
    return refuse(s, {
      code: 'RECHECK_MISMATCH',
      message: 'The SQL to run is written back differently each time it is read; it is refused',
    });
  }
  s.normalizedSql = rewritten.sql;
  return 'again';
}

/**
 * The stages of a check, in order. Deny by default: a stage that finds the statement cannot be
 * read further stops the check, and the check refuses with what was found so far.
 */
export const CHECK_STAGES: readonly GuardStage<CheckState>[] = [
  {
    name: 'options',
    run: (s) => {
      const { maxRows } = s.options;
      if (maxRows === undefined || (Number.isFinite(maxRows) && maxRows >= 1)) return 'next';
      return refuse(s, { code: 'GUARD_OPTIONS', message: `maxRows must be a positive number (got ${maxRows})` });
    },
  },
  {
    // Size limits (length, tokens, nesting), then the lexical rules over the source: one
    // statement, an allowed first word, no forbidden word or dangerous call, no executable comment.
    name: 'lexical',
    run: (s) => {
      const source = s.options.fromDialect ?? s.options.dialect;
      const lexed = lexicalCheck(s.sql, source, s.options.allowMutations === true, s.limits);
      if (lexed.tooComplex) return refuse(s, lexed.tooComplex);
      s.kind = lexed.firstWord ? (KIND_OF_WORD[lexed.firstWord] ?? 'other') : s.kind;
      if (lexed.empty) {
        return refuse(s, { code: 'SQL_EMPTY', message: 'The SQL holds no statement (only comments or semicolons)' });
      }
      s.errors.push(...lexed.issues);
      return lexed.complete ? 'next' : 'stop';
    },
  },
  {
    name: 'transpile',
    run: (s) => {
      const { fromDialect, dialect } = s.options;
      if (!fromDialect || fromDialect === dialect) return 'next';
      if (s.errors.length) return 'stop';
      const out = s.p.transpile(s.sql, polyglotDialect(fromDialect), polyglotDialect(dialect));
      if (!out.success || !out.sql) {
        const issue = parseIssue(fromDialect, out.error ?? 'unknown error', out.errorLine, out.errorColumn);
        const message = `Transpiling from ${fromDialect} to ${dialect} failed: ${issue.message}`;
        return refuse(s, { ...issue, code: 'TRANSPILE_FAILED', message });
      }
      if (out.sql.length !== 1) {
        const message = `Only one statement may run; this SQL holds ${out.sql.length}`;
        return refuse(s, { code: 'MULTIPLE_STATEMENTS', message });
      }
      s.text = out.sql[0];
      return 'next';
    },
  },
  {
    // Parse, one statement, tree depth, validate, AST rules, names (INSPECTION_STAGES).
    name: 'inspect',
    run: (s) => {
      const first = inspect(s.p, s.text, s.options, s.limits, s.text === s.sql);
      if (first.tooComplex) return refuse(s, first.tooComplex);
      s.errors.push(...first.errors);
      s.warnings.push(...first.warnings);
      if (first.stmt) s.kind = first.kind;
      s.readOnly = first.readOnly;
      s.tables = first.tables;
      s.stmt = first.stmt;
      return s.errors.length || !first.stmt ? 'stop' : 'next';
    },
  },
  {
    // LIMIT applied to the checked AST, then the SQL to run written from it.
    name: 'row-limit',
    run: (s) => {
      s.stmt = limited(s, s.stmt!, s.warnings);
      const written = render(s.p, s.stmt, s.kind, s.options.dialect);
      if ('error' in written) {
        const message = `The checked statement could not be written back: ${written.error}`;
        return refuse(s, { code: 'GUARD_ERROR', message });
      }
      s.normalizedSql = written.sql;
      return 'next';
    },
  },
  {
    // The second pass: what runs is read again and must pass every rule. The generator may
    // respell a construct once (date_part('day', x) as EXTRACT(day FROM x), then DAY): the
    // respelled text is checked in its turn and must then be written back unchanged.
    name: 'recheck',
    run: (s) => {
      for (let pass = 2; pass <= 3; pass++) {
        const read = readAgain(s, pass);
        if (read !== 'again') return read === 'done' ? 'next' : 'stop';
      }
      return 'next';
    },
  },
  {
    // The SQL to run names the same kind, tables, columns and queries as the checked one.
    name: 'same-reading',
    run: (s) => {
      const again = s.rechecked!;
      const differences = [
        again.kind !== s.kind || again.readOnly !== s.readOnly ? `it is a ${again.kind} statement` : '',
        again.tables.join(',').toLowerCase() !== s.tables.join(',').toLowerCase() ? 'it reads other tables' : '',
        fingerprint(s.p, again.stmt) !== fingerprint(s.p, s.stmt!) ? 'it names other columns or queries' : '',
      ].filter(Boolean);
      if (!differences.length) return 'next';
      const message = `The SQL to run does not read as the SQL that was checked (${differences.join('; ')}); it is refused`;
      return refuse(s, { code: 'RECHECK_MISMATCH', message });
    },
  },
];
