import type { SqlDialect } from '@sluice/core';
import { familyOf, postgresLike } from '../sql-dialects';
import {
  FORBIDDEN_WORDS,
  isDangerousFunction,
  NEVER_READ_ONLY_WORDS,
  READ_ONLY_STARTS,
  WRITE_STARTS,
} from './dangerous-sql';
import { lexSql, Token } from './sql-lexer';
import { DEFAULT_LIMITS, type GuardIssue, type GuardLimits } from './sql-guard.types';

export interface LexicalVerdict {
  issues: GuardIssue[];
  /** Set when the SQL is past a size limit: nothing else was checked. */
  tooComplex?: GuardIssue;
  /** The first word (upper-cased), for the statement kind when the parser gives up. */
  firstWord: string | null;
  empty: boolean;
  /** False when a string or comment never ends: the parser will refuse it too. */
  complete: boolean;
}

const at = (t: Token) => ({ line: t.line, column: t.column });
const LOCK_FOLLOWERS = new Set(['UPDATE', 'SHARE', 'NO', 'KEY']);
const FILE_LOADS = new Set(['DATA', 'XML', 'INDEX']);
/** Forbidden words that are also harmless functions when called: MySQL's TRUNCATE(x, d). */
const ALSO_FUNCTIONS = new Set(['TRUNCATE']);

/** Words after which a name followed by `(` is a call, not a table with a column list. */
const CALL_CONTEXT = new Set([
  'SELECT',
  'DISTINCT',
  'ALL',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'ON',
  'WHEN',
  'THEN',
  'ELSE',
  'CASE',
  'BY',
  'HAVING',
  'IN',
  'IS',
  'LIKE',
  'ILIKE',
  'BETWEEN',
  'RETURN',
  'FROM',
  'JOIN',
  'LATERAL',
  'SET',
  'VALUES',
  'LIMIT',
  'OFFSET',
]);

/**
 * True when the quoted name at `k` (followed by `(`) is called as a function: preceded by an
 * operator, a bracket, a comma or a word that starts an expression, and not a CTE or an
 * alias with its column list (`"C"(a) AS (...)`, `AS "x"(a, b)`, `INTO "t"(a)`).
 */
function quotedCall(code: Token[], k: number): boolean {
  let before = k - 1;
  // Over a qualifier: schema."name"(...).
  while (code[before]?.value === '.' && (code[before - 1]?.kind === 'word' || code[before - 1]?.kind === 'quoted')) {
    before -= 2;
  }
  const prev = code[before];
  if (prev && prev.kind !== 'symbol' && !(prev.kind === 'word' && CALL_CONTEXT.has(prev.value))) return false;
  if (prev?.kind === 'symbol' && prev.value === ',') {
    let depth = 0;
    for (let j = k + 1; j < code.length; j++) {
      if (code[j].value === '(') depth++;
      else if (code[j].value === ')' && --depth === 0)
        return !(code[j + 1]?.kind === 'word' && code[j + 1].value === 'AS');
    }
  }
  return true;
}

type AddIssue = (code: string, message: string, t: Token) => void;

/**
 * Rules over the tokens of one reading of the SQL: one statement, an allowed first word, no
 * word that only a write, DDL, lock or file access uses, no call of a dangerous function. A
 * second net under the parser: it catches what a lenient parse turns into something harmless.
 */
function tokenRules(tokens: Token[], dialect: SqlDialect, allowMutations: boolean): GuardIssue[] {
  const issues: GuardIssue[] = [];
  const add: AddIssue = (code, message, t) => issues.push({ code, message, ...at(t) });
  const code = tokens.filter((t) => !(t.kind === 'symbol' && t.value === ';'));
  statementRules(tokens, code[0], allowMutations, add);
  for (let k = 0; k < code.length; k++) {
    callAndParamRules(code, k, dialect, add);
    if (code[k].kind === 'word') wordRules(code[k], code[k + 1], allowMutations, add);
  }
  return issues;
}

/** One statement only, and one that starts with a word allowed here. */
function statementRules(tokens: Token[], first: Token | undefined, allowMutations: boolean, add: AddIssue): void {
  const separator = tokens.findIndex((t) => t.kind === 'symbol' && t.value === ';');
  if (separator >= 0) {
    const after = tokens.slice(separator + 1).find((t) => !(t.kind === 'symbol' && t.value === ';'));
    if (after) add('MULTIPLE_STATEMENTS', 'Only one statement may run; another one follows a ";"', after);
  }
  if (!first) return;
  const word = first.kind === 'symbol' ? first.value : first.kind === 'word' ? first.value : '';
  if (WRITE_STARTS.has(word)) {
    if (!allowMutations) {
      add('WRITE_NOT_ALLOWED', `${word} changes data; only read-only statements may run here`, first);
    }
  } else if (!READ_ONLY_STARTS.has(word)) {
    const shown = first.kind === 'word' ? word : first.kind;
    add(
      'STATEMENT_NOT_ALLOWED',
      `Only SELECT, WITH, VALUES and EXPLAIN statements may run${allowMutations ? ' (or INSERT, UPDATE, DELETE and MERGE, as mutations are allowed)' : ''}; this one starts with ${shown}`,
      first,
    );
  }
}

/** Token k: a call of a dangerous or quoted function, a system variable, a MySQL assignment. */
function callAndParamRules(code: Token[], k: number, dialect: SqlDialect, add: AddIssue): void {
  const t = code[k];
  const next = code[k + 1];
  const calls = next?.kind === 'symbol' && next.value === '(';
  if ((t.kind === 'word' || t.kind === 'quoted') && calls && isDangerousFunction(t.value, dialect)) {
    add('DANGEROUS_FUNCTION', `Function ${t.value.toLowerCase()}() is not allowed`, t);
  } else if (t.kind === 'quoted' && calls && !plainQuotedName(t.value, dialect) && quotedCall(code, k)) {
    // Written back unquoted (and upper-cased), such a name would not be what was checked.
    add(
      'QUOTED_FUNCTION',
      `The quoted function name ${JSON.stringify(t.value)} is not allowed; call built-in functions by their plain name`,
      t,
    );
  }
  if (t.kind === 'param' && t.value.startsWith('@@')) {
    add('SYSTEM_VARIABLE', `System variables (${t.value.toLowerCase()}) are not allowed`, t);
  }
  if (t.kind === 'param' && familyOf(dialect) === 'mysql' && next?.value === ':' && code[k + 2]?.value === '=') {
    add('FORBIDDEN_KEYWORD', `Assigning a variable (${t.value} := ...) is not allowed`, t);
  }
}

/** A bare word: forbidden keywords, locking clauses, file loads, writes and SELECT ... INTO. */
function wordRules(t: Token, next: Token | undefined, allowMutations: boolean, add: AddIssue): void {
  const w = t.value;
  const calls = next?.kind === 'symbol' && next.value === '(';
  if (FORBIDDEN_WORDS.has(w) && !(calls && ALSO_FUNCTIONS.has(w))) {
    const what =
      w === 'ANALYZE' || w === 'ANALYSE'
        ? 'EXPLAIN ANALYZE runs the statement; plain EXPLAIN is allowed'
        : w === 'OUTFILE' || w === 'DUMPFILE' || w === 'INFILE'
          ? 'reading or writing server files is not allowed'
          : 'it is not part of a query';
    add('FORBIDDEN_KEYWORD', `${w} is not allowed: ${what} (quote an identifier that has this name)`, t);
  } else if (w === 'FOR' && next?.kind === 'word' && LOCK_FOLLOWERS.has(next.value)) {
    add('LOCKING_CLAUSE', `Locking clauses (FOR ${next.value} ...) are not allowed`, t);
  } else if (w === 'LOCK' && next?.kind === 'word' && (next.value === 'IN' || next.value.startsWith('TABLE'))) {
    add('LOCKING_CLAUSE', 'Locking (LOCK IN SHARE MODE, LOCK TABLE) is not allowed', t);
  } else if (w === 'LOAD' && next?.kind === 'word' && FILE_LOADS.has(next.value)) {
    add('FILE_ACCESS', `LOAD ${next.value} reads server or client files and is not allowed`, t);
  } else if (w === 'REPLACE' && next?.kind === 'word' && next.value === 'INTO' && !allowMutations) {
    add('WRITE_NOT_ALLOWED', 'REPLACE INTO changes data; only read-only statements may run here', t);
  } else if (NEVER_READ_ONLY_WORDS.has(w) && !calls && !allowMutations) {
    const message =
      w === 'INTO'
        ? 'INTO is not allowed: SELECT ... INTO creates a table or writes variables or files'
        : `${w} is not allowed: only read-only statements may run here (quote an identifier that has this name)`;
    add(w === 'INTO' ? 'SELECT_INTO' : 'WRITE_NOT_ALLOWED', message, t);
  } else if (w === 'INTO' && next?.kind === 'param') {
    add('SELECT_INTO', 'SELECT ... INTO a variable is not allowed', t);
  }
}

/** Tokens, and the deepest nesting of brackets, CASE ... END and unary operators in a row. */
export function measure(tokens: Token[]): { tokens: number; depth: number } {
  let depth = 0;
  let deepest = 0;
  let unary = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const v = t.value;
    if (t.kind === 'symbol' && (v === '(' || v === '[')) depth++;
    else if (t.kind === 'symbol' && (v === ')' || v === ']')) depth--;
    else if (t.kind === 'word' && v === 'CASE') depth++;
    else if (t.kind === 'word' && v === 'END') depth--;
    // NOT NOT NOT x, - - - 1: each one more level of the tree, without a bracket.
    const prefix = (t.kind === 'word' && v === 'NOT') || (t.kind === 'symbol' && (v === '-' || v === '+' || v === '~'));
    unary = prefix ? unary + 1 : 0;
    deepest = Math.max(deepest, depth + unary);
  }
  return { tokens: tokens.length, depth: deepest };
}

const tooComplex = (message: string): LexicalVerdict => ({
  issues: [],
  tooComplex: { code: 'SQL_TOO_COMPLEX', message },
  firstWord: null,
  empty: false,
  complete: false,
});

/** A quoted name that means the same unquoted: PostgreSQL folds names to lower case, the others compare them so. */
const plainQuotedName = (name: string, dialect: SqlDialect): boolean =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && (!postgresLike(dialect) || name === name.toLowerCase());

/** Issues, each once: two readings of one text, or the lexer and the parser, often find the same thing. */
export function uniqueIssues(issues: GuardIssue[]): GuardIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.code}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The lexical check of one text in one dialect. Where the meaning of a backslash depends on a
 * server setting (MySQL's NO_BACKSLASH_ESCAPES, PostgreSQL's standard_conforming_strings), the
 * text is read both ways and what either reading finds counts.
 */
export function lexicalCheck(
  sql: string,
  dialect: SqlDialect,
  allowMutations: boolean,
  limits: GuardLimits = DEFAULT_LIMITS,
): LexicalVerdict {
  if (sql.length > limits.maxLength) {
    return tooComplex(`The SQL is ${sql.length} characters long; the limit is ${limits.maxLength} (maxLength)`);
  }
  const family = familyOf(dialect);
  const primary = lexSql(sql, dialect, family === 'mysql');
  const size = measure(primary.tokens);
  if (size.tokens > limits.maxTokens) {
    return tooComplex(`The SQL holds ${size.tokens} tokens; the limit is ${limits.maxTokens} (maxTokens)`);
  }
  if (size.depth > limits.maxDepth) {
    return tooComplex(`The SQL nests ${size.depth} levels deep; the limit is ${limits.maxDepth} (maxDepth)`);
  }
  const issues = [...primary.issues];
  if (primary.complete) issues.push(...tokenRules(primary.tokens, dialect, allowMutations));
  if (family !== 'sqlite') {
    const other = lexSql(sql, dialect, family !== 'mysql');
    // A reading that never closes a string cannot be what the server runs (it would not parse).
    if (other.complete) {
      issues.push(...other.issues, ...tokenRules(other.tokens, dialect, allowMutations));
    }
  }
  const first = primary.tokens.find((t) => !(t.kind === 'symbol' && t.value === ';'));
  return {
    issues: uniqueIssues(issues),
    firstWord: first?.kind === 'word' ? first.value : null,
    empty: primary.complete && !first,
    complete: primary.complete,
  };
}
