import type { Polyglot } from '@sluice/core';
import { AstData, AstNode, isObject, nodeData, nodeType } from './sql-ast';

export interface LimitOutcome {
  node: AstNode;
  /** What changed, when an existing limit was lowered or replaced. */
  warning: string | null;
}

const literal = (n: number): AstNode => ({ literal: { literal_type: 'number', value: String(n) } });

/** The row count of a limit expression when it is a plain non-negative integer. */
function countOf(expr: unknown): number | null {
  if (!isObject(expr) || nodeType(expr) !== 'literal') return null;
  const data = nodeData(expr);
  const value = String(data.value);
  return data.literal_type === 'number' && /^\d+$/.test(value) ? Number(value) : null;
}

/** `LIMIT x` is stored as `{ this: x }` on selects and subqueries and as `x` on set operations. */
const limitExpr = (limit: unknown): unknown => (isObject(limit) && 'this' in limit ? limit.this : limit);

function describe(expr: unknown): string {
  const count = countOf(expr);
  return count === null ? 'a LIMIT that is not a plain number' : `LIMIT ${count}`;
}

/**
 * Caps the rows of a query at `maxRows`: a LIMIT (or FETCH FIRST) is added when missing and
 * lowered when larger or not a plain number. Set operations take it on the whole result.
 */
export function applyLimit(p: Polyglot, node: AstNode, maxRows: number): LimitOutcome {
  const type = nodeType(node);
  const data = nodeData(node);
  if (type === 'subquery' || type === 'paren') {
    if (type === 'paren' || !('limit' in data)) {
      const inner = isObject(data.this) ? applyLimit(p, data.this, maxRows) : null;
      if (inner) data.this = inner.node;
      return { node, warning: inner?.warning ?? null };
    }
    const current = limitExpr(data.limit);
    if (data.limit && (countOf(current) ?? Infinity) <= maxRows) return { node, warning: null };
    const warning = data.limit ? `${describe(current)} lowered to LIMIT ${maxRows}` : null;
    data.limit = { this: literal(maxRows) };
    return { node, warning };
  }
  if (!['select', 'union', 'intersect', 'except'].includes(type)) return { node, warning: null };

  const fetch = data.fetch as AstData | null;
  if (isObject(fetch) && !data.limit) {
    const count = fetch.count ? countOf(fetch.count) : 1;
    if (count !== null && count <= maxRows && !fetch.percent) return { node, warning: null };
    const before = fetch.percent ? 'FETCH FIRST ... PERCENT' : `FETCH FIRST ${count ?? '(expression)'} ROWS`;
    fetch.count = literal(maxRows);
    fetch.percent = false;
    return { node, warning: `${before} lowered to FETCH FIRST ${maxRows} ROWS` };
  }
  const current = data.limit ? limitExpr(data.limit) : null;
  if (current !== null && (countOf(current) ?? Infinity) <= maxRows) return { node, warning: null };
  if (current === null) {
    // The common case, a query without LIMIT, is set here in the shape setLimit writes (the
    // same JSON on every gold query of defog, Spider and BIRD): setLimit copies the whole tree
    // into WebAssembly and back, which cost more than parsing the statement.
    data.limit = type === 'select' ? { this: literal(maxRows) } : literal(maxRows);
    return { node, warning: null };
  }
  const warning = `${describe(current)} lowered to LIMIT ${maxRows}`;
  return { node: p.ast.setLimit(node as never, maxRows) as unknown as AstNode, warning };
}
