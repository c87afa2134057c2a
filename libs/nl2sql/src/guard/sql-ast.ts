import type { SqlDialect } from '@sluice/connectors/plugin/connector-plugin';
import type { Polyglot } from '@sluice/core/sql/polyglot';
import { isDangerousFunction, SENSITIVE_BARE, SENSITIVE_RELATIONS, SENSITIVE_SCHEMAS } from './dangerous-sql';
import type { GuardIssue } from './sql-guard.types';
import { positionsOf } from './sql-lexer';

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
  const bytes = Buffer.from(text, 'utf8');
  const at = positionsOf(text);
  return (node) => {
    const start = spanStart(node);
    return start === undefined ? {} : at(bytes.subarray(0, start).toString('utf8').length);
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

export const QUERY_TYPES = new Set(['select', 'union', 'intersect', 'except', 'values']);
export const WRITE_TYPES = new Set(['insert', 'update', 'delete', 'merge']);

/** Node types that are statements or side effects of their own: refused wherever they appear. */
const FORBIDDEN_TYPES = new Set([
  'copy',
  'put',
  'stage_reference',
  'try_catch',
  'undrop',
  'split_table',
  'flashback_table',
  'truncate',
  'truncate_table',
  'use',
  'cache',
  'uncache',
  'load_data',
  'pragma',
  'grant',
  'revoke',
  'comment',
  'set_statement',
  'set',
  'show',
  'command',
  'kill',
  'prepare',
  'execute',
  'create_task',
  'raw',
  'refresh',
  'locking_statement',
  'clone',
  'attach',
  'detach',
  'install',
  'summarize',
  'declare',
  'heredoc',
  'transaction',
  'commit',
  'rollback',
  'alter_session',
  'add_partition',
  'drop_partition',
  'replace_partition',
  'return_stmt',
  'into_clause',
  'to_file',
  'export',
  'directory',
  'credentials',
  'multitable_inserts',
  'conditional_insert',
  'next_value_for',
  'read_c_s_v',
  'read_parquet',
]);
const isDdlType = (t: string) => /^(create|drop|alter|undrop)_/.test(t) || t === 'truncate' || t === 'truncate_table';
const isForbiddenType = (t: string) => FORBIDDEN_TYPES.has(t) || isDdlType(t) || t.startsWith('analyze');

const FUNCTION_TYPES = new Set([
  'function',
  'aggregate_function',
  'anonymous',
  'anonymous_agg_func',
  'user_defined_function',
]);

/** MySQL's own schemas: grants, password hashes, the general and slow query logs, sessions. */
const MYSQL_INTERNAL_SCHEMAS = new Set(['mysql', 'performance_schema', 'sys']);

const BLOB_MAKERS = new Set(['zeroblob', 'randomblob']);
const MAX_BLOB = 1_048_576;
const smallCount = (arg: unknown) =>
  isObject(arg) &&
  nodeType(arg) === 'literal' &&
  /^\d+$/.test(String(nodeData(arg).value)) &&
  Number(nodeData(arg).value) <= MAX_BLOB;

/** What kind of statement a top-level node is. */
export function statementKind(node: AstNode): string {
  const type = nodeType(node);
  const data = nodeData(node);
  if (type === 'subquery' || type === 'paren') {
    const inner = data.this;
    return isObject(inner) ? statementKind(inner) : 'other';
  }
  if (type === 'union' || type === 'intersect' || type === 'except' || type === 'select') return 'select';
  if (type === 'values') return 'values';
  if (type === 'describe') return 'explain';
  if (WRITE_TYPES.has(type)) return type;
  if (isDdlType(type) || type === 'rename_column') return 'ddl';
  if (type === 'set_statement' || type === 'set') return 'set';
  if (type === 'transaction' || type === 'commit' || type === 'rollback') return 'transaction';
  return 'other';
}

/** The name a function node calls, lower-cased, without schema or quotes; null when not a call. */
function calledName(type: string, data: AstData): string | null {
  if (FUNCTION_TYPES.has(type)) return (identName(data.name) || identName(data.this)).toLowerCase() || null;
  if (type === 'method_call') return identName(data.method).toLowerCase() || null;
  return null;
}

export interface AstVerdict {
  issues: GuardIssue[];
  /** True when a write node (INSERT, UPDATE, DELETE, MERGE) appears anywhere. */
  writes: boolean;
}

/**
 * The rules decided on the parsed statement: the kind of the statement and of every nested
 * one (a data-modifying CTE is a write), INTO, locking clauses, EXPLAIN ANALYZE, functions
 * and relations refused by name, anywhere in the tree.
 */
export function astRules(
  p: Polyglot,
  stmt: AstNode,
  dialect: SqlDialect,
  allowMutations: boolean,
  locate: Locator,
): AstVerdict {
  const issues: GuardIssue[] = [];
  const add = (code: string, message: string, node: unknown) => issues.push({ code, message, ...locate(node) });
  const kind = statementKind(stmt);
  let writes = false;

  if (kind === 'explain') {
    const data = nodeData(stmt);
    if (/analy[sz]e/i.test(String(data.style ?? ''))) {
      add('EXPLAIN_ANALYZE', 'EXPLAIN ANALYZE runs the statement; plain EXPLAIN is allowed', stmt);
    }
    const target = data.target;
    if (!isObject(target) || !['select', 'values'].includes(statementKind(target))) {
      add('STATEMENT_NOT_ALLOWED', 'EXPLAIN is allowed for queries only', stmt);
    }
  } else if (!['select', 'values'].includes(kind) && !(allowMutations && WRITE_TYPES.has(kind))) {
    const allowed = allowMutations
      ? 'SELECT, WITH, VALUES, EXPLAIN, INSERT, UPDATE, DELETE and MERGE statements'
      : 'read-only statements (SELECT, WITH, VALUES, EXPLAIN)';
    const what = kind === 'other' ? nodeType(stmt).replace(/_/g, ' ').toUpperCase() : kind.toUpperCase();
    const code = WRITE_TYPES.has(kind) ? 'WRITE_NOT_ALLOWED' : 'STATEMENT_NOT_ALLOWED';
    add(code, `Only ${allowed} may run; this is ${what}`, stmt);
  }

  // With mutations, writes may be the statement or a CTE of its top-level WITH (as PostgreSQL
  // itself requires); a write anywhere else is refused.
  const topWith = nodeData(stmt).with;
  const topCtes = isObject(topWith) && Array.isArray(topWith.ctes) ? topWith.ctes : [];
  const allowedWrites = new Set<unknown>([stmt, ...topCtes.map((c) => (isObject(c) ? c.this : null))]);
  walkNodes(p, stmt, (node, type, data) => {
    if (WRITE_TYPES.has(type)) {
      writes = true;
      if (!allowMutations && node !== stmt) {
        add(
          'WRITE_NOT_ALLOWED',
          `A nested ${type.toUpperCase()} (data-modifying CTE or subquery) is not allowed`,
          node,
        );
      } else if (allowMutations && !allowedWrites.has(node)) {
        add(
          'WRITE_NOT_ALLOWED',
          `${type.toUpperCase()} is allowed only as the statement or a CTE of its top-level WITH`,
          node,
        );
      }
    } else if (isForbiddenType(type) && node !== stmt) {
      add('STATEMENT_NOT_ALLOWED', `${type.replace(/_/g, ' ').toUpperCase()} is not allowed here`, node);
    } else if (type === 'describe' && node !== stmt) {
      add('STATEMENT_NOT_ALLOWED', 'A nested EXPLAIN is not allowed', node);
    }
    if (type === 'select') {
      if (data.into)
        add('SELECT_INTO', 'SELECT ... INTO is not allowed (it creates a table or writes variables)', node);
      if (Array.isArray(data.locks) && data.locks.length > 0) {
        add('LOCKING_CLAUSE', 'Locking clauses (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE) are not allowed', node);
      }
    }
    const called = calledName(type, data);
    if ((called && isDangerousFunction(called, dialect)) || isDangerousFunction(type, dialect)) {
      add('DANGEROUS_FUNCTION', `Function ${called ?? type}() is not allowed`, node);
    } else if (called && BLOB_MAKERS.has(called) && !smallCount(Array.isArray(data.args) ? data.args[0] : data.this)) {
      // SQLite runs in a process of ours (a child of the API): a gigabyte blob is our memory.
      add(
        'DANGEROUS_FUNCTION',
        `Function ${called}() is allowed with a literal size up to ${MAX_BLOB} bytes only`,
        node,
      );
    }
    if (type === 'table') {
      const name = identName(data.name).toLowerCase();
      const schema = identName(data.schema).toLowerCase();
      const internal = dialect === 'mysql' && MYSQL_INTERNAL_SCHEMAS.has(schema);
      if (internal || SENSITIVE_BARE.has(name) || (SENSITIVE_RELATIONS.has(name) && SENSITIVE_SCHEMAS.has(schema))) {
        add(
          'SENSITIVE_CATALOG',
          `${schema ? `${schema}.` : ''}${name} exposes server internals and is not allowed`,
          node,
        );
      }
    }
  });
  return { issues, writes };
}
