import type { Polyglot } from '@sluice/core';
import { positionsOf } from './sql-lexer';

// The shape of polyglot's AST as JSON and the walks over it, shared by the guard's rules.

/** A polyglot AST node as JSON: `{ <type>: <data> }`. */
export type AstNode = Record<string, unknown>;
export type AstData = Record<string, unknown>;

export const nodeType = (node: AstNode): string => Object.keys(node)[0];
export const nodeData = (node: AstNode): AstData => (Object.values(node)[0] ?? {}) as AstData;
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The text of an identifier field (`{ name, quoted }`) or a plain string; '' otherwise. */
export function identName(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isObject(v)) {
    if (typeof v.name === 'string') return v.name;
    if (isObject(v.identifier)) return identName(v.identifier);
  }
  return '';
}

/** The byte offset where a node starts in the parsed text, from the first span found under it. */
function spanStart(node: unknown): number | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const span = (node as { span?: { start?: unknown } }).span;
  if (span && typeof span.start === 'number') return span.start;
  for (const value of Object.values(node)) {
    const found = spanStart(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Finds the 1-based line and column where a node of the AST starts. */
export type Locator = (node: unknown) => { line?: number; column?: number };

/** The locator of one parsed text (spans count bytes; lines and columns count characters). */
export function locatorFor(text: string): Locator {
  const at = positionsOf(text);
  let charOf: Uint32Array | null = null;
  // UTF-8 byte offset → UTF-16 offset, built once: converting a prefix per node is quadratic.
  const table = (): Uint32Array => {
    const map = new Uint32Array(Buffer.byteLength(text, 'utf8') + 1);
    let byte = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.codePointAt(i)!;
      const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      for (let k = 0; k < width; k++) map[byte + k] = i;
      byte += width;
      if (code >= 0x10000) i++;
    }
    map[byte] = text.length;
    return map;
  };
  return (node) => {
    const start = spanStart(node);
    if (start === undefined) return {};
    charOf ??= table();
    return at(charOf[Math.min(start, charOf.length - 1)]);
  };
}

/**
 * Visits every expression node under `root` (itself included), in every field: not only the
 * children polyglot's own walker knows of, so nothing the parser kept escapes the checks.
 */
export function walkNodes(p: Polyglot, root: unknown, visit: (node: AstNode, type: string, data: AstData) => void) {
  const stack: unknown[] = [root];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
    } else if (isObject(value)) {
      if (p.ast.isExpressionValue(value)) visit(value, nodeType(value), nodeData(value));
      for (const child of Object.values(value)) if (child && typeof child === 'object') stack.push(child);
    }
  }
}

/** Drops every comment the parser kept: the generator would write them back, and MySQL runs some. */
export function stripComments(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(stripComments);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key.endsWith('comments') && Array.isArray(child)) value[key] = [];
      else if (child && typeof child === 'object') stripComments(child);
    }
  }
}
