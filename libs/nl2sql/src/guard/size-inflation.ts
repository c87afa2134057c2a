import type { SqlDialect, SqlFamily, Polyglot } from '@sluice/core';
import { familyOf } from '../sql-dialects';
import { AstData, AstNode, isObject, nodeData, nodeType, walkNodes } from './ast-nodes';

/**
 * Functions whose result can be far larger than their input: one call of `repeat('x', 1e9)` or
 * `printf('%.*c', 1e9, 'x')` asks the server (or, for SQLite, our own process) for a gigabyte.
 * Each is allowed with literal sizes within a bound, and none may grow the result of another.
 */

/** Longest string a padding or repeating function may produce, and widest printf field. */
export const MAX_STRING_GROWTH = 10_000;
/** Largest blob zeroblob() and randomblob() may make. */
export const MAX_BLOB = 1_048_576;
export const MAX_FORMAT_WIDTH = 1_000;

/** Position of the size argument of each size-taking function. */
const SIZE_ARGUMENT: Record<string, { index: number; max: number }> = {
  repeat: { index: 1, max: MAX_STRING_GROWTH },
  lpad: { index: 1, max: MAX_STRING_GROWTH },
  rpad: { index: 1, max: MAX_STRING_GROWTH },
  pad: { index: 1, max: MAX_STRING_GROWTH },
  space: { index: 0, max: MAX_STRING_GROWTH },
  zeroblob: { index: 0, max: MAX_BLOB },
  randomblob: { index: 0, max: MAX_BLOB },
};

/** The arguments of a call in order: `args` of a named call, else the fields of a typed node. */
function argumentsOf(p: Polyglot, data: AstData): unknown[] {
  if (Array.isArray(data.args)) return data.args;
  if (Array.isArray(data.expressions)) return data.expressions;
  return Object.values(data).filter((v) => isObject(v) && p.ast.isExpressionValue(v));
}

const literalOf = (arg: unknown): { type: string; value: string } | null => {
  if (!isObject(arg) || nodeType(arg) !== 'literal') return null;
  const data = nodeData(arg);
  return { type: String(data.literal_type), value: String(data.value) };
};

const plainCount = (arg: unknown): number | null => {
  const literal = literalOf(arg);
  return literal && /^\d+$/.test(literal.value) ? Number(literal.value) : null;
};

const STRING_LITERAL = /string/;

/** What is wrong with the format string of printf()/format(), or null. */
function formatProblem(arg: unknown): string | null {
  const literal = literalOf(arg);
  if (!literal || !STRING_LITERAL.test(literal.type)) return 'its format must be a string literal';
  for (const spec of literal.value.matchAll(/%[^a-zA-Z%]*[a-zA-Z%]?/g)) {
    if (spec[0].includes('*')) return `a width or precision taken from an argument (${spec[0]}) is not allowed`;
    const widest = Math.max(0, ...[...spec[0].matchAll(/\d+/g)].map((m) => Number(m[0])));
    if (widest > MAX_FORMAT_WIDTH) return `widths and precisions are limited to ${MAX_FORMAT_WIDTH} (${spec[0]})`;
  }
  return null;
}

const FORMATTERS: Record<SqlFamily, Set<string>> = {
  postgresql: new Set(['format']),
  mysql: new Set(),
  sqlite: new Set(['printf', 'format']),
};

/** True when a call may return more than its inputs hold (and so must not grow another's result). */
function grows(name: string, args: unknown[], dialect: SqlDialect): boolean {
  if (name in SIZE_ARGUMENT || FORMATTERS[familyOf(dialect)].has(name)) return true;
  if (name !== 'replace') return false;
  const from = literalOf(args[1]);
  const to = literalOf(args[2]);
  return !from || !to || to.value.length > from.value.length;
}

export interface CallInfo {
  name: string;
  node: AstNode;
  data: AstData;
}

/** Why a call may inflate memory beyond the bounds above, or null when it is fine. */
export function inflationProblem(p: Polyglot, call: CallInfo, dialect: SqlDialect, nameOf: NameOf): string | null {
  const { name, data } = call;
  const args = argumentsOf(p, data);
  const size = SIZE_ARGUMENT[name];
  if (size) {
    const count = plainCount(args[size.index]);
    if (count === null || count > size.max) {
      return `Function ${name}() is allowed with a literal size up to ${size.max} only`;
    }
  }
  if (FORMATTERS[familyOf(dialect)].has(name)) {
    const problem = formatProblem(args[0]);
    if (problem) return `Function ${name}() is not allowed here: ${problem}`;
  }
  if (name === 'replace') {
    const to = literalOf(args[2]);
    if (to && to.value.length > MAX_STRING_GROWTH) {
      return `Function replace() is allowed with a replacement up to ${MAX_STRING_GROWTH} characters only`;
    }
  }
  if (!grows(name, args, dialect)) return null;
  let nested: string | null = null;
  for (const arg of args) {
    walkNodes(p, arg, (node, type, inner) => {
      const innerName = nameOf(type, inner);
      if (!nested && innerName && grows(innerName, argumentsOf(p, inner), dialect)) nested = innerName;
      void node;
    });
  }
  return nested
    ? `Function ${name}() may not take the result of ${nested}(), which can grow a value too (nested growth is refused)`
    : null;
}

export type NameOf = (type: string, data: AstData) => string | null;
