import type { SqlDialect } from '@sluice/core';
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
  return new SqlScanner(sql, dialect, backslashEscapes).scan();
}

/** Where a string, quoted identifier or comment began that never ends. */
interface Unterminated {
  what: string;
  offset: number;
}

/**
 * One pass of lexSql: a scanner per kind of token (comments, strings, quoted identifiers,
 * dollar quotes, parameters, words, numbers), chosen by the character at hand, each moving
 * `i` past what it read.
 */
class SqlScanner {
  private readonly at: ReturnType<typeof positionsOf>;
  private readonly tokens: Token[] = [];
  private readonly issues: GuardIssue[] = [];
  private readonly mysql: boolean;
  private readonly sqlite: boolean;
  private readonly pg: boolean;
  private i = 0;

  constructor(
    private readonly sql: string,
    dialect: SqlDialect,
    private readonly backslashEscapes: boolean,
  ) {
    this.at = positionsOf(sql);
    const family = familyOf(dialect);
    const mysql = family === 'mysql';
    const sqlite = family === 'sqlite';
    const pg = family === 'postgresql';
    this.mysql = mysql;
    this.sqlite = sqlite;
    this.pg = pg;
  }

  scan(): LexOutcome {
    const { tokens, issues } = this;
    while (this.i < this.sql.length) {
      const open = this.step();
      if (open) {
        this.issue('PARSE_ERROR', `Unterminated ${open.what} starting here`, open.offset);
        return { tokens, issues, complete: false };
      }
    }
    return { tokens, issues, complete: true };
  }

  /** Reads one token (or blank, or comment) at `i`, in the order the dialects need. */
  private step(): Unterminated | undefined {
    const { sql, i, mysql, sqlite, pg } = this;
    const c = sql[i];
    const next = sql[i + 1] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') return this.blank();
    if (c === '-' && next === '-' && (!mysql || i + 2 >= sql.length || sql.charCodeAt(i + 2) <= 0x20)) {
      return this.lineComment();
    }
    if (c === '#' && mysql) return this.lineComment();
    if (c === '/' && next === '*') return this.blockComment();
    if (c === "'") return this.stringLiteral();
    // MySQL reads "..." as a string (as an identifier under ANSI_QUOTES); either way a function
    // name written this way is checked like one.
    if (c === '"') return this.quotedIdentifier('"', mysql && this.backslashEscapes);
    if (c === '`' && (mysql || sqlite)) return this.quotedIdentifier('`', false);
    if (c === '[' && sqlite) return this.bracketIdentifier();
    if (c === '$' && pg && !/[0-9]/.test(next)) return this.dollarQuoted();
    if (c === '?') return this.positionalParam();
    if ((c === '$' || c === '@' || (c === ':' && sqlite)) && /[0-9A-Za-z_@]/.test(next)) return this.namedParam();
    if (isWordStart(c)) return this.word();
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next))) return this.number();
    if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) >= 0x7f) return this.suspiciousCharacter();
    return this.symbol(c);
  }

  private issue(code: string, message: string, offset: number): void {
    this.issues.push({ code, message, ...this.at(offset) });
  }

  private push(kind: TokenKind, value: string, offset: number): void {
    this.tokens.push({ kind, value, offset, ...this.at(offset) });
  }

  private blank(): undefined {
    this.i++;
  }

  private symbol(c: string): undefined {
    this.push('symbol', c, this.i++);
  }

  /** Index after the quote that closes the one at `start`, or -1. */
  private closeQuote(start: number, quote: string, backslash: boolean): number {
    const { sql } = this;
    for (let j = start + 1; j < sql.length; j++) {
      if (backslash && sql[j] === '\\') j++;
      else if (sql[j] === quote) {
        if (sql[j + 1] === quote) j++;
        else return j + 1;
      }
    }
    return -1;
  }

  /** `-- ...` or MySQL's `# ...`, to the end of the line. */
  private lineComment(): undefined {
    const { sql } = this;
    while (this.i < sql.length && sql[this.i] !== '\n' && sql[this.i] !== '\r') this.i++;
  }

  /** `/* ... *\/`, not nested; MySQL's executable comments and hints are an issue. */
  private blockComment(): Unterminated | undefined {
    const { sql, i } = this;
    if (this.mysql && /^(!|\+|M!)/.test(sql.slice(i + 2, i + 4))) {
      this.issue(
        'EXECUTABLE_COMMENT',
        'MySQL executable comments and optimizer hints (/*! ... */, /*+ ... */) are not allowed',
        i,
      );
    }
    const end = sql.indexOf('*/', i + 2);
    if (end < 0) return { what: 'comment', offset: i };
    this.i = end + 2;
    return undefined;
  }

  /** `'...'`: backslash escapes when asked, or after PostgreSQL's E prefix; the content is not kept. */
  private stringLiteral(): Unterminated | undefined {
    const { i } = this;
    const previous = this.tokens[this.tokens.length - 1];
    const escapePrefix = this.pg && previous?.kind === 'word' && previous.value === 'E' && previous.offset + 1 === i;
    const end = this.closeQuote(i, "'", !this.sqlite && (this.backslashEscapes || escapePrefix));
    if (end < 0) return { what: 'string', offset: i };
    this.push('string', '', i);
    this.i = end;
    return undefined;
  }

  /** `"..."` or `` `...` ``, unquoted, a doubled quote read as one. */
  private quotedIdentifier(quote: '"' | '`', backslash: boolean): Unterminated | undefined {
    const { i } = this;
    const end = this.closeQuote(i, quote, backslash);
    if (end < 0) return { what: 'quoted identifier', offset: i };
    this.push('quoted', this.sql.slice(i + 1, end - 1).replaceAll(quote + quote, quote), i);
    this.i = end;
    return undefined;
  }

  /** SQLite's `[...]`. */
  private bracketIdentifier(): Unterminated | undefined {
    const { i } = this;
    const end = this.sql.indexOf(']', i + 1);
    if (end < 0) return { what: 'quoted identifier', offset: i };
    this.push('quoted', this.sql.slice(i + 1, end), i);
    this.i = end + 1;
    return undefined;
  }

  /** PostgreSQL's `$tag$ ... $tag$` (a string), or a lone `$` symbol. */
  private dollarQuoted(): Unterminated | undefined {
    const { sql, i } = this;
    DOLLAR_TAG.lastIndex = i;
    const tag = DOLLAR_TAG.exec(sql);
    if (!tag) {
      this.push('symbol', '$', i);
      this.i++;
      return undefined;
    }
    const end = sql.indexOf(tag[0], i + tag[0].length);
    if (end < 0) return { what: 'dollar-quoted string', offset: i };
    this.push('string', '', i);
    this.i = end + tag[0].length;
    return undefined;
  }

  /** `?` or `?1`. */
  private positionalParam(): undefined {
    const { sql } = this;
    const start = this.i++;
    while (this.i < sql.length && /[0-9]/.test(sql[this.i])) this.i++;
    this.push('param', sql.slice(start, this.i), start);
  }

  /** $1 (PostgreSQL), @var and @@system_var (MySQL), :name, @name and $name (SQLite). */
  private namedParam(): undefined {
    const { sql } = this;
    const start = this.i++;
    if (sql[this.i] === '@') this.i++;
    while (this.i < sql.length && (isWordPart(sql[this.i]) || sql[this.i] === '.')) this.i++;
    this.push('param', sql.slice(start, this.i).toUpperCase(), start);
  }

  /** A keyword or name, upper-cased; PostgreSQL's U&'...' escapes are an issue. */
  private word(): undefined {
    const { sql } = this;
    const start = this.i;
    while (this.i < sql.length && isWordPart(sql[this.i])) this.i++;
    const word = sql.slice(start, this.i).toUpperCase();
    const after = this.i;
    if (this.pg && word === 'U' && sql[after] === '&' && (sql[after + 1] === "'" || sql[after + 1] === '"')) {
      this.issue('UNICODE_ESCAPE', 'Unicode-escaped strings and identifiers (U&"...") are not allowed', start);
    }
    this.push('word', word, start);
  }

  private number(): undefined {
    const { sql } = this;
    const start = this.i++;
    while (this.i < sql.length && /[0-9A-Za-z_.]/.test(sql[this.i])) this.i++;
    this.push('number', sql.slice(start, this.i), start);
  }

  /** A control or non-ASCII character outside strings and quoted identifiers: an issue, skipped. */
  private suspiciousCharacter(): undefined {
    const char = String.fromCodePoint(this.sql.codePointAt(this.i)!);
    this.issue(
      'SUSPICIOUS_CHARACTER',
      `Character ${describeChar(char)} is not allowed outside string literals and quoted identifiers`,
      this.i,
    );
    this.i += char.length;
  }
}
