import type { SqlDialect, Polyglot } from '@sluice/core';
import { familyOf, postgresLike } from '../sql-dialects';
import { isDangerousFunction, SENSITIVE_BARE, SENSITIVE_RELATIONS, SENSITIVE_SCHEMAS } from './dangerous-sql';
import {
  BUILTIN_SCHEMAS,
  isAllowedFunctionName,
  isAllowedTypedFunction,
  isSyntaxType,
  NAMED_CALL_TYPES,
} from './function-allow-list';
import { inflationProblem } from './size-inflation';
import { AstNode, AstData, nodeType, nodeData, isObject, identName, Locator, walkNodes } from './ast-nodes';
import type { GuardIssue } from './sql-guard.types';

export * from './ast-nodes';

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

/**
 * Schemas of the engines' own catalogs. Only the listed relations of them may be read: they
 * describe tables and columns, nothing of other sessions, settings, grants or password hashes.
 */
const CATALOG_SCHEMAS = new Set(['pg_catalog', 'pg_toast', 'information_schema', 'mysql', 'performance_schema', 'sys']);
const CATALOG_ALLOWED = new Set([
  'information_schema.tables',
  'information_schema.columns',
  'information_schema.views',
  'information_schema.schemata',
  'information_schema.key_column_usage',
  'information_schema.table_constraints',
  'information_schema.referential_constraints',
]);
/** SQLite's schema tables (the DDL text of each table): allowed like information_schema. */
const SQLITE_SCHEMA_TABLES = new Set(['sqlite_master', 'sqlite_schema']);

/** Why reading this relation is refused as a catalog, or null. */
function catalogProblem(schema: string, name: string, dialect: SqlDialect): string | null {
  const written = `${schema ? `${schema}.` : ''}${name}`;
  if (schema && CATALOG_SCHEMAS.has(schema)) {
    return CATALOG_ALLOWED.has(`${schema}.${name}`) ? null : `${written} exposes server internals and is not allowed`;
  }
  // PostgreSQL finds pg_catalog's relations without a schema; a bare pg_* name is the catalog.
  if (SENSITIVE_BARE.has(name) || (name.startsWith('pg_') && postgresLike(dialect))) {
    return `${written} exposes server internals and is not allowed`;
  }
  if (SENSITIVE_RELATIONS.has(name) && SENSITIVE_SCHEMAS.has(schema)) {
    return `${written} exposes server internals and is not allowed`;
  }
  if (familyOf(dialect) === 'sqlite' && name.startsWith('sqlite_') && !SQLITE_SCHEMA_TABLES.has(name)) {
    return `${written} is an internal table of SQLite and is not allowed`;
  }
  return null;
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
export function calledName(type: string, data: AstData): string | null {
  if (type === 'method_call') return identName(data.method).toLowerCase() || null;
  if (NAMED_CALL_TYPES.has(type)) return (identName(data.name) || identName(data.this)).toLowerCase() || null;
  return null;
}

/** A parser node type as the SQL name it stands for: j_s_o_n_table is json_table. */
function typeAsName(type: string): string {
  const words: string[] = [];
  let letters = '';
  for (const part of type.split('_')) {
    if (part.length === 1) letters += part;
    else {
      if (letters) words.push(letters);
      letters = '';
      words.push(part);
    }
  }
  if (letters) words.push(letters);
  return words.join('_');
}

/** The name a call goes by in messages and rules: its own for named calls, the node type for typed ones. */
const callName = (type: string, data: AstData): string | null =>
  calledName(type, data) ?? (isSyntaxType(type) ? null : type);

/**
 * Why a call is refused, or null: deny-listed, a quoted name the generator would not write back
 * as quoted, a schema other than the built-ins', or not on the allow-list of the dialect.
 */
function callProblem(type: string, data: AstData, dialect: SqlDialect): { code: string; message: string } | null {
  const name = calledName(type, data);
  const shown = name ?? String(data.original_name ?? typeAsName(type)).toLowerCase();
  if ((name && isDangerousFunction(name, dialect)) || isDangerousFunction(type, dialect)) {
    return { code: 'DANGEROUS_FUNCTION', message: `Function ${shown}() is not allowed` };
  }
  if (name !== null || NAMED_CALL_TYPES.has(type)) {
    const quoted = type === 'method_call' ? isObject(data.method) && data.method.quoted === true : data.quoted === true;
    const exact = name
      ? type === 'method_call'
        ? identName(data.method)
        : identName(data.name) || identName(data.this)
      : '';
    // The generator writes a function name unquoted and upper-cased: a quoted name is kept only
    // when that changes nothing (a plain lower-case name, or any case where names fold).
    if (quoted && (!PLAIN_NAME.test(exact) || (postgresLike(dialect) && exact !== exact.toLowerCase()))) {
      return {
        code: 'QUOTED_FUNCTION',
        message: `The quoted function name ${JSON.stringify(exact)} is not allowed; call built-in functions by their plain name`,
      };
    }
    if (type === 'method_call') {
      const qualifier = isObject(data.this) && nodeType(data.this) === 'column' ? nodeData(data.this) : null;
      const schema = qualifier && !qualifier.table ? identName(qualifier.name) : '';
      if (
        !BUILTIN_SCHEMAS[familyOf(dialect)].has(schema.toLowerCase()) ||
        (isObject(qualifier?.name) && qualifier.name.quoted && schema !== schema.toLowerCase())
      ) {
        return {
          code: 'FUNCTION_NOT_ALLOWED',
          message: `Function ${schema ? `${schema}.` : ''}${shown}() is not allowed: only built-in functions may be called`,
        };
      }
    }
    if (!name || !isAllowedFunctionName(name, dialect)) {
      return {
        code: 'FUNCTION_NOT_ALLOWED',
        message: `Function ${shown || '(unnamed)'}() is not allowed: it is not on the ${dialect} list of functions for read-only queries`,
      };
    }
    return null;
  }
  if (isSyntaxType(type) || isAllowedTypedFunction(type)) return null;
  return {
    code: 'FUNCTION_NOT_ALLOWED',
    message: `${shown}() is not allowed: it is not on the ${dialect} list of functions and constructs for read-only queries`,
  };
}

export interface AstVerdict {
  issues: GuardIssue[];
  /** True when a write node (INSERT, UPDATE, DELETE, MERGE) appears anywhere. */
  writes: boolean;
}

/** Adds one issue at a node. */
type AddIssue = (code: string, message: string, node: unknown) => void;

/** The rules of one walk over a statement: what it is, what may run, and where to report. */
interface WalkRules {
  p: Polyglot;
  stmt: AstNode;
  kind: string;
  dialect: SqlDialect;
  allowMutations: boolean;
  /** The statement and the CTEs of its top-level WITH: the only places a write may be. */
  allowedWrites: Set<unknown>;
  add: AddIssue;
}

/** The statement itself: a query, or (with mutations) a write; EXPLAIN of a query, without ANALYZE. */
function statementIssues(stmt: AstNode, kind: string, allowMutations: boolean, add: AddIssue): void {
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
}

/** A write, or a statement that is not a query, nested where it may not be. */
function nestedStatementIssue(r: WalkRules, node: AstNode, type: string): void {
  if (WRITE_TYPES.has(type)) {
    if (!r.allowMutations && node !== r.stmt) {
      r.add(
        'WRITE_NOT_ALLOWED',
        `A nested ${type.toUpperCase()} (data-modifying CTE or subquery) is not allowed`,
        node,
      );
    } else if (r.allowMutations && !r.allowedWrites.has(node)) {
      const message = `${type.toUpperCase()} is allowed only as the statement or a CTE of its top-level WITH`;
      r.add('WRITE_NOT_ALLOWED', message, node);
    }
  } else if (isForbiddenType(type) && node !== r.stmt) {
    r.add('STATEMENT_NOT_ALLOWED', `${type.replace(/_/g, ' ').toUpperCase()} is not allowed here`, node);
  } else if (type === 'describe' && node !== r.stmt) {
    r.add('STATEMENT_NOT_ALLOWED', 'A nested EXPLAIN is not allowed', node);
  }
}

/** SELECT ... INTO and locking clauses. */
function selectIssues(r: WalkRules, node: AstNode, data: AstData): void {
  if (data.into) r.add('SELECT_INTO', 'SELECT ... INTO is not allowed (it creates a table or writes variables)', node);
  if (Array.isArray(data.locks) && data.locks.length > 0) {
    r.add('LOCKING_CLAUSE', 'Locking clauses (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE) are not allowed', node);
  }
}

/** A function call: refused by name or allow-list, or one whose result could grow past the limits. */
function callIssue(r: WalkRules, node: AstNode, type: string, data: AstData): void {
  const problem = callProblem(type, data, r.dialect);
  if (problem) return r.add(problem.code, problem.message, node);
  const name = callName(type, data);
  const inflation = name ? inflationProblem(r.p, { name, node, data }, r.dialect, callName) : null;
  if (inflation) r.add('SIZE_LIMIT', inflation, node);
}

/** Every rule that applies to one node of the walk, in the order its issues are reported. */
function nodeIssues(r: WalkRules, node: AstNode, type: string, data: AstData): void {
  nestedStatementIssue(r, node, type);
  if (type === 'select') selectIssues(r, node, data);
  // MERGE writes its actions (WHEN MATCHED THEN DELETE) as bare words.
  const mergeAction = type === 'var' && r.kind === 'merge';
  if (!isForbiddenType(type) && !(type === 'describe' && node === r.stmt) && !mergeAction) {
    callIssue(r, node, type, data);
  }
  if (type === 'parameter' && /at/i.test(String(data.style ?? ''))) {
    r.add(
      'SYSTEM_VARIABLE',
      `Variables (${/double/i.test(String(data.style)) ? '@@' : '@'}${String(data.name ?? '')}) are not allowed`,
      node,
    );
  }
  if (type === 'table') {
    const name = identName(data.name).toLowerCase();
    const schema = identName(data.schema).toLowerCase();
    const problem = catalogProblem(schema, name, r.dialect);
    if (problem) r.add('SENSITIVE_CATALOG', problem, node);
  }
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
  const add: AddIssue = (code, message, node) => void issues.push({ code, message, ...locate(node) });
  const kind = statementKind(stmt);
  statementIssues(stmt, kind, allowMutations, add);
  // With mutations, writes may be the statement or a CTE of its top-level WITH (as PostgreSQL
  // itself requires); a write anywhere else is refused.
  const topWith = nodeData(stmt).with;
  const topCtes = isObject(topWith) && Array.isArray(topWith.ctes) ? topWith.ctes : [];
  const allowedWrites = new Set<unknown>([stmt, ...topCtes.map((c) => (isObject(c) ? c.this : null))]);
  const rules: WalkRules = { p, stmt, kind, dialect, allowMutations, allowedWrites, add };
  let writes = false;
  walkNodes(p, stmt, (node, type, data) => {
    if (WRITE_TYPES.has(type)) writes = true;
    nodeIssues(rules, node, type, data);
  });
  return { issues, writes };
}
