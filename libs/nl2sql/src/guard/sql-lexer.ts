import type { SqlDialect } from '@sluice/core/sql/dialect-registry';
import { familyOf } from '../sql-dialects';
import type { GuardIssue } from './sql-guard.types';

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'symbol' | 'param';

export interface Token {
  kind: TokenKind;
  /** Words upper-cased; quoted identifiers unquoted; strings are not kept. */
  value: string;
  offset: number;
  line: number;
  column: number;
}

export interface LexOutcome {
  tokens: Token[];
  issues: GuardIssue[];
  /** False when a string, quoted identifier or comment never ends. */
  complete: boolean;
}

const isWordStart = (c: string) => /[A-Za-z_]/.test(c);
const isWordPart = (c: string) => /[A-Za-z0-9_$]/.test(c);
/** Sticky: matches at lastIndex only, without slicing the rest of the text per `$`. */
const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/y;

/**
 * Line and column (1-based, in characters) of every offset of one text. Built once in linear
 * time (a column per UTF-16 offset), so each lookup is a binary search over line starts: no
 * slicing from the line start per token, which made a long one-line statement quadratic.
 */
export function positionsOf(sql: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  let columns: Uint32Array | null = null;
  for (let i = 0; i < sql.length; i++) if (sql.charCodeAt(i) === 10) starts.push(i + 1);
  const columnTable = (): Uint32Array => {
    const table = new Uint32Array(sql.length + 1);
    let column = 1;
    for (let i = 0; i <= sql.length; i++) {
      table[i] = column;
      const code = sql.charCodeAt(i);
      if (code === 10) column = 1;
      // A surrogate pair is one character: its second half does not advance the column.
      else if (!(code >= 0xd800 && code <= 0xdbff && (sql.charCodeAt(i + 1) & 0xfc00) === 0xdc00)) column++;
    }
    return table;
  };
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    columns ??= columnTable();
    return { line: lo + 1, column: columns[Math.min(Math.max(offset, 0), sql.length)] };
  };
}

const describeChar = (c: string) =>
  `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}${c.trim() && c.codePointAt(0)! > 0x20 ? ` "${c}"` : ''}`;

/**
 * A conservative tokenizer of one dialect: comments dropped, string contents hidden, quoted
 * identifiers unquoted. Where engines or settings disagree it leans to seeing more code, never
 * less: `/* *\/` comments do not nest, a MySQL `--` needs a space after it, and with
 * `backslashEscapes` a backslash escapes the next character in every string (MySQL's default,
 * PostgreSQL with standard_conforming_strings off). The guard lexes both ways where it matters.
 */
export function lexSql(sql: string, dialect: SqlDialect, backslashEscapes: boolean): LexOutcome {
  const at = positionsOf(sql);
  const tokens: Token[] = [];
  const issues: GuardIssue[] = [];
  const issue = (code: string, message: string, offset: number) => issues.push({ code, message, ...at(offset) });
  const push = (kind: TokenKind, value: string, offset: number) => tokens.push({ kind, value, offset, ...at(offset) });
  const family = familyOf(dialect);
  const mysql = family === 'mysql';
  const sqlite = family === 'sqlite';
  const pg = family === 'postgresql';
  let i = 0;

  /** Index after the quote that closes the one at `start`, or -1. */
  const closeQuote = (start: number, quote: string, backslash: boolean): number => {
    for (let j = start + 1; j < sql.length; j++) {
      if (backslash && sql[j] === '\\') j++;
      else if (sql[j] === quote) {
        if (sql[j + 1] === quote) j++;
        else return j + 1;
      }
    }
    return -1;
  };
  const unterminated = (what: string, offset: number): LexOutcome => {
    issue('PARSE_ERROR', `Unterminated ${what} starting here`, offset);
    return { tokens, issues, complete: false };
  };

  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '-' && next === '-' && (!mysql || i + 2 >= sql.length || sql.charCodeAt(i + 2) <= 0x20)) {
      while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (c === '#' && mysql) {
      while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (c === '/' && next === '*') {
      if (mysql && /^(!|\+|M!)/.test(sql.slice(i + 2, i + 4))) {
        issue(
          'EXECUTABLE_COMMENT',
          'MySQL executable comments and optimizer hints (/*! ... */, /*+ ... */) are not allowed',
          i,
        );
      }
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return unterminated('comment', i);
      i = end + 2;
    } else if (c === "'") {
      const previous = tokens[tokens.length - 1];
      const escapePrefix = pg && previous?.kind === 'word' && previous.value === 'E' && previous.offset + 1 === i;
      const end = closeQuote(i, "'", !sqlite && (backslashEscapes || escapePrefix));
      if (end < 0) return unterminated('string', i);
      push('string', '', i);
      i = end;
    } else if (c === '"') {
      // MySQL reads "..." as a string (as an identifier under ANSI_QUOTES); either way a function
      // name written this way is checked like one.
      const end = closeQuote(i, '"', mysql && backslashEscapes);
      if (end < 0) return unterminated('quoted identifier', i);
      push('quoted', sql.slice(i + 1, end - 1).replace(/""/g, '"'), i);
      i = end;
    } else if (c === '`' && (mysql || sqlite)) {
      const end = closeQuote(i, '`', false);
      if (end < 0) return unterminated('quoted identifier', i);
      push('quoted', sql.slice(i + 1, end - 1).replace(/``/g, '`'), i);
      i = end;
    } else if (c === '[' && sqlite) {
      const end = sql.indexOf(']', i + 1);
      if (end < 0) return unterminated('quoted identifier', i);
      push('quoted', sql.slice(i + 1, end), i);
      i = end + 1;
    } else if (c === '$' && pg && !/[0-9]/.test(next)) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql);
      if (!tag) {
        push('symbol', '$', i);
        i++;
        continue;
      }
      const end = sql.indexOf(tag[0], i + tag[0].length);
      if (end < 0) return unterminated('dollar-quoted string', i);
      push('string', '', i);
      i = end + tag[0].length;
    } else if (c === '?') {
      const start = i++;
      while (i < sql.length && /[0-9]/.test(sql[i])) i++;
      push('param', sql.slice(start, i), start);
    } else if ((c === '$' || c === '@' || (c === ':' && sqlite)) && /[0-9A-Za-z_@]/.test(next)) {
      // $1 (PostgreSQL), @var and @@system_var (MySQL), :name, @name and $name (SQLite).
      const start = i++;
      if (sql[i] === '@') i++;
      while (i < sql.length && (isWordPart(sql[i]) || sql[i] === '.')) i++;
      push('param', sql.slice(start, i).toUpperCase(), start);
    } else if (isWordStart(c)) {
      const start = i;
      while (i < sql.length && isWordPart(sql[i])) i++;
      const word = sql.slice(start, i).toUpperCase();
      if (pg && word === 'U' && sql[i] === '&' && (sql[i + 1] === "'" || sql[i + 1] === '"')) {
        issue('UNICODE_ESCAPE', 'Unicode-escaped strings and identifiers (U&"...") are not allowed', start);
      }
      push('word', word, start);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next))) {
      const start = i++;
      while (i < sql.length && /[0-9A-Za-z_.]/.test(sql[i])) i++;
      push('number', sql.slice(start, i), start);
    } else if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) >= 0x7f) {
      const char = String.fromCodePoint(sql.codePointAt(i)!);
      issue(
        'SUSPICIOUS_CHARACTER',
        `Character ${describeChar(char)} is not allowed outside string literals and quoted identifiers`,
        i,
      );
      i += char.length;
    } else {
      push('symbol', c, i);
      i++;
    }
  }
  return { tokens, issues, complete: true };
}
