import type { Dialect, QueryAnalysis } from '@polyglot-sql/sdk';
import { BadRequestError } from '../errors/domain-error';
import { dialectSpec, SqlDialect } from './dialect-registry';
import { loadPolyglot, Polyglot } from './polyglot';
import type { SchemaSnapshot, TableInfo } from './schema-snapshot';

/** polyglot-sql's name for a registered dialect; an unknown dialect throws. */
export const polyglotDialect = (dialect: SqlDialect): Dialect => dialectSpec(dialect).polyglot as Dialect;

/** Where and why SQL does not parse, as listed in `details` of the 400 answer. */
export interface SqlParseProblem {
  field: 'sql';
  messages: string[];
  line: number;
  column: number;
}

export interface TableRef {
  schema: string | null;
  name: string;
}

export interface ColumnRef {
  /** The table the parser resolved the column to; null when it is unqualified and ambiguous. */
  table: TableRef | null;
  column: string;
}

/** Physical tables and columns a statement reads; CTE names, aliases and derived tables are resolved away. */
export interface SqlReferences {
  tables: TableRef[];
  columns: ColumnRef[];
  /** Output names of CTEs and derived tables, which an unqualified column may also mean. */
  derivedColumns: string[];
}

/** 1-based line and column of a 0-based byte offset into `sql`. */
function position(sql: string, byteOffset: number): { line: number; column: number } {
  const before = Buffer.from(sql, 'utf8').subarray(0, byteOffset).toString('utf8');
  const lines = before.split('\n');
  return { line: lines.length, column: [...lines[lines.length - 1]].length + 1 };
}

/** The byte offset where a parsed node starts, for errors that come without a position. */
function firstSpanStart(node: unknown): number | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const span = (node as { span?: { start?: unknown } }).span;
  if (span && typeof span.start === 'number') return span.start;
  for (const value of Object.values(node)) {
    const found = firstSpanStart(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

function parseError(dialect: SqlDialect, reason: string, line: number, column: number): BadRequestError {
  const text = reason.replace(/^Parse error at line \d+, column \d+:\s*/, '');
  const problem: SqlParseProblem = { field: 'sql', messages: [text], line, column };
  return new BadRequestError(
    'SQL_PARSE_ERROR',
    `The SQL does not parse as ${dialect} at line ${line}, column ${column}: ${text}`,
    [problem],
  );
}

/** The most SQL parsed here: the SQL guard's limits (libs/nl2sql), counted roughly (strings included). */
const MAX_ANALYSED_LENGTH = 10_000;
const MAX_ANALYSED_TOKENS = 3_000;

/**
 * Throws 400 SQL_TOO_COMPLEX for SQL longer than any analytic query needs. Parsing is
 * synchronous WebAssembly on the event loop, and its cost grows faster than the text.
 */
export function assertAnalysable(sql: string): void {
  let tokens = 0;
  for (const _ of sql.matchAll(/[A-Za-z0-9_$]+|[^\sA-Za-z0-9_$]/g)) if (++tokens > MAX_ANALYSED_TOKENS) break;
  const problem =
    sql.length > MAX_ANALYSED_LENGTH
      ? `The SQL is ${sql.length} characters long; the limit is ${MAX_ANALYSED_LENGTH} (maxLength)`
      : tokens > MAX_ANALYSED_TOKENS
        ? `The SQL holds more than ${MAX_ANALYSED_TOKENS} tokens (maxTokens)`
        : null;
  if (problem) throw new BadRequestError('SQL_TOO_COMPLEX', problem, [{ field: 'sql', messages: [problem] }]);
}

/**
 * Checks that `sql` is exactly one statement that parses in `dialect`; throws a 400
 * (SQL_PARSE_ERROR with line and column, SQL_EMPTY, SQL_MULTIPLE_STATEMENTS) otherwise.
 */
export async function assertSingleStatement(sql: string, dialect: SqlDialect): Promise<void> {
  assertAnalysable(sql);
  const p = await loadPolyglot();
  const parsed = p.parse(sql, polyglotDialect(dialect));
  if (!parsed.success) {
    throw parseError(dialect, parsed.error ?? 'unknown parser error', parsed.errorLine ?? 1, parsed.errorColumn ?? 1);
  }
  const statements = parsed.ast ?? [];
  if (statements.length === 0) {
    throw new BadRequestError('SQL_EMPTY', 'The SQL holds no statement', [
      { field: 'sql', messages: ['holds no statement (only comments or semicolons)'] },
    ]);
  }
  // validate() calls a multi-statement string valid: the count comes from parse().
  if (statements.length > 1) {
    throw new BadRequestError(
      'SQL_MULTIPLE_STATEMENTS',
      `An example holds exactly one statement; this SQL holds ${statements.length}`,
      [{ field: 'sql', messages: [`holds ${statements.length} statements; send one`] }],
    );
  }
  // parse() is lenient (`SELEC foo` comes back as an aliased column); validate() is not.
  const checked = p.validate(sql, polyglotDialect(dialect));
  const error = checked.errors.find((e) => e.severity === 'error');
  if (!checked.valid && error) {
    const at =
      error.line && error.column
        ? { line: error.line, column: error.column }
        : position(sql, firstSpanStart(statements[0]) ?? 0);
    throw parseError(dialect, error.message, at.line, at.column);
  }
}

function splitQualified(name: string): TableRef {
  const parts = name.split('.');
  return { schema: parts.length > 1 ? parts[parts.length - 2] : null, name: parts[parts.length - 1] };
}

const tableKey = (t: TableRef) => `${(t.schema ?? '').toLowerCase()}.${t.name.toLowerCase()}`;

function analyse(p: Polyglot, sql: string, dialect: SqlDialect): QueryAnalysis | undefined {
  const result = p.analyzeQuery(sql, { dialect: polyglotDialect(dialect) });
  return result.success ? result.analysis : undefined;
}

/** Tables named by a statement that analyzeQuery does not cover (INSERT, UPDATE, DDL...). */
function tablesByWalk(p: Polyglot, sql: string, dialect: SqlDialect): TableRef[] {
  const parsed = p.parse(sql, polyglotDialect(dialect));
  if (!parsed.success || !parsed.ast?.length) return [];
  return p.ast.getTables(parsed.ast[0]).flatMap((node) => {
    const table = (node as { table?: { name?: { name?: string }; schema?: { name?: string } | null } }).table;
    const name = table?.name?.name;
    return name ? [{ schema: table?.schema?.name ?? null, name }] : [];
  });
}

/**
 * The physical tables and columns a statement refers to, through polyglot's query analysis:
 * aliases resolve to their tables, CTE and derived-table names are not tables, and the bodies of
 * CTEs are analysed too (their columns count even when the outer query does not use them).
 */
export async function extractReferences(sql: string, dialect: SqlDialect): Promise<SqlReferences> {
  assertAnalysable(sql);
  const p = await loadPolyglot();
  const tables = new Map<string, TableRef>();
  const columns = new Map<string, ColumnRef>();
  const derived = new Set<string>();
  const cteNames = new Set<string>();

  const collect = (text: string, depth: number): boolean => {
    const analysis = analyse(p, text, dialect);
    if (!analysis) return false;
    for (const fact of analysis.cteFacts) {
      cteNames.add(fact.name.toLowerCase());
      fact.outputColumns.forEach((c) => derived.add(c.toLowerCase()));
    }
    for (const relation of analysis.relations) {
      if (relation.kind !== 'table') relation.columns.forEach((c) => derived.add(c.toLowerCase()));
    }
    for (const base of analysis.baseTables) {
      if (base.kind !== 'table') continue;
      const ref = { schema: base.schema ?? null, name: base.table ?? splitQualified(base.name).name };
      tables.set(tableKey(ref), ref);
    }
    const references = [
      ...analysis.projections.flatMap((projection) => projection.upstream),
      ...(analysis.columnUses ?? []).flatMap((use) => use.references),
    ];
    for (const ref of references) {
      if (ref.sourceKind === 'table' && ref.sourceName) {
        const column = { table: splitQualified(ref.sourceName), column: ref.column };
        columns.set(`${tableKey(column.table)}.${ref.column.toLowerCase()}`, column);
      } else if (ref.sourceKind === 'unknown' || (!ref.sourceName && !ref.table)) {
        columns.set(`?.${ref.column.toLowerCase()}`, { table: null, column: ref.column });
      }
      // References into CTEs, derived tables and virtual sources resolve further up; skipped.
    }
    // A CTE's own body: columns it selects count even when the outer query never uses them.
    if (depth < 8) analysis.cteFacts.forEach((fact) => collect(fact.bodySql, depth + 1));
    return true;
  };

  if (!collect(sql, 0)) tablesByWalk(p, sql, dialect).forEach((t) => tables.set(tableKey(t), t));

  // A CTE body analysed on its own sees earlier CTEs as tables: they are not.
  const isCte = (t: TableRef) => t.schema === null && cteNames.has(t.name.toLowerCase());
  return {
    tables: [...tables.values()].filter((t) => !isCte(t)),
    columns: [...columns.values()].filter((c) => !c.table || !isCte(c.table)),
    derivedColumns: [...derived],
  };
}

const quote = (t: TableRef) => (t.schema ? `${t.schema}.${t.name}` : t.name);

/**
 * What the statement names that the schema does not have, as readable warnings. Names compare
 * case-insensitively; `schema.table` must match the schema too, a bare name matches any schema.
 */
export function unknownReferences(refs: SqlReferences, snapshot: SchemaSnapshot): string[] {
  const byName = new Map<string, TableInfo[]>();
  for (const table of snapshot.tables) {
    const key = table.name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), table]);
  }
  const resolve = (ref: TableRef): TableInfo[] => {
    const candidates = byName.get(ref.name.toLowerCase()) ?? [];
    if (!ref.schema) return candidates;
    const schema = ref.schema.toLowerCase();
    // Engines without schemas (SQLite) report null: a qualifier there cannot be checked.
    return candidates.filter((t) => t.schema === null || t.schema.toLowerCase() === schema);
  };
  const hasColumn = (tables: TableInfo[], column: string) =>
    tables.some((t) => t.columns.some((c) => c.name.toLowerCase() === column.toLowerCase()));

  const warnings: string[] = [];
  const known: TableInfo[] = [];
  for (const ref of refs.tables) {
    const found = resolve(ref);
    if (found.length === 0) warnings.push(`Unknown table "${quote(ref)}"`);
    known.push(...found);
  }
  const derived = new Set(refs.derivedColumns);
  for (const ref of refs.columns) {
    if (ref.table) {
      const found = resolve(ref.table);
      // An unknown table has its own warning already.
      if (found.length > 0 && !hasColumn(found, ref.column)) {
        warnings.push(`Unknown column "${ref.column}" in table "${quote(ref.table)}"`);
      }
    } else if (known.length > 0 && !hasColumn(known, ref.column) && !derived.has(ref.column.toLowerCase())) {
      warnings.push(`Unknown column "${ref.column}"`);
    }
  }
  return [...new Set(warnings)];
}
