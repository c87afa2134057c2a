import type { ColumnInfo, TableInfo } from '@sluice/connectors';
import { BadRequestError } from '@sluice/core';
import { createHash } from 'node:crypto';

/** The name a table is known by: schema-qualified where the engine has schemas. */
export function tableKey(table: Pick<TableInfo, 'schema' | 'name'>): string {
  return table.schema ? `${table.schema}.${table.name}` : table.name;
}

/** Tables in a stable order (by key), so fingerprints and pages do not depend on catalog order. */
export function sortTables(tables: TableInfo[]): TableInfo[] {
  // Keys built once per table, not twice per comparison: thousands of tables sort in a few ms.
  const keyed = tables.map((table) => ({ key: tableKey(table), table }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ table }) => table);
}

/**
 * SHA-256 of the schema's shape: names, columns, keys, comments. Row estimates are left out: an
 * engine revises them on its own (InnoDB's statistics after a load), which changes no schema.
 */
export function fingerprintOf(tables: TableInfo[]): string {
  return encodeTables(tables).fingerprint;
}

/** Tables as a snapshot stores them: sorted, fingerprinted, hashed whole, and their JSON. */
export interface EncodedTables {
  tables: TableInfo[];
  fingerprint: string;
  /** SHA-256 of everything stored, row estimates included: equal hashes, equal JSON. */
  contentsHash: string;
  /** The JSON array of the tables, built when asked. */
  json(): string;
}

// The text a fingerprint hashes: every field of the contract in a fixed order, each string as its
// length, ':' and itself, null as '-', each list as its length and '['. Nothing in it needs
// escaping, and no two different shapes read the same (a field cannot run into the next).
const text = (value: string | null): string =>
  value === null || value === undefined ? '-' : `${value.length}:${value}`;

function listText(values: string[]): string {
  let out = `${values.length}[`;
  for (const value of values) out += text(value);
  return out;
}

function shapeText(table: TableInfo): string {
  let out = text(table.schema) + text(table.name) + text(table.kind) + text(table.comment);
  out += `${table.columns.length}[`;
  for (const c of table.columns) {
    out += text(c.name) + text(c.type) + (c.nullable ? '1' : '0') + (c.primaryKey ? '1' : '0');
    out += text(c.default) + text(c.comment);
  }
  out += listText(table.primaryKey) + `${table.foreignKeys.length}[`;
  for (const fk of table.foreignKeys) {
    out += text(fk.name) + listText(fk.columns) + text(fk.referencedSchema) + text(fk.referencedTable);
    out += listText(fk.referencedColumns);
  }
  return out;
}

/**
 * Sorts and fingerprints the tables. The fingerprint hashes a plain text of each table's fields
 * rather than its JSON: on a large schema (2,000 tables, 3 MB of JSON) JSON.stringify, which
 * looks at every character for escaping, cost about three times as much, and a refresh usually
 * finds the schema unchanged and stores nothing. The JSON is only built when the contents
 * changed, which `contentsHash` tells.
 */
export function encodeTables(input: TableInfo[]): EncodedTables {
  const tables = sortTables(input);
  const hash = createHash('sha256');
  const estimates: string[] = [];
  for (const table of tables) {
    // As UTF-16, which every JavaScript string is exactly; UTF-8 would turn any lone surrogate
    // (which an SQLite file can hold) into the same replacement character.
    hash.update(shapeText(table), 'utf16le');
    // undefined (no estimate key at all) and null are kept apart, as they are in the stored JSON.
    estimates.push(table.rowEstimate === undefined ? '-' : String(table.rowEstimate));
  }
  const fingerprint = hash.digest('hex');
  const contentsHash = createHash('sha256')
    .update(`${fingerprint}\n${estimates.join(',')}`)
    .digest('hex');
  let json: string | undefined;
  return { tables, fingerprint, contentsHash, json: () => (json ??= JSON.stringify(tables)) };
}

/**
 * The table a user means by `wanted`: its exact key, else its bare name, else either compared
 * without case. Null when none matches or the name is ambiguous (the same bare name in two schemas).
 */
export function resolveTable(tables: TableInfo[], wanted: string): TableInfo | null {
  const tries: Array<(t: TableInfo) => boolean> = [
    (t) => tableKey(t) === wanted,
    (t) => t.name === wanted,
    (t) => tableKey(t).toLowerCase() === wanted.toLowerCase(),
    (t) => t.name.toLowerCase() === wanted.toLowerCase(),
  ];
  for (const matches of tries) {
    const found = tables.filter(matches);
    if (found.length === 1) return found[0];
    if (found.length > 1) return null;
  }
  return null;
}

export function resolveColumn(table: TableInfo, wanted: string): ColumnInfo | null {
  const exact = table.columns.find((c) => c.name === wanted);
  if (exact) return exact;
  const loose = table.columns.filter((c) => c.name.toLowerCase() === wanted.toLowerCase());
  return loose.length === 1 ? loose[0] : null;
}

export interface Relationship {
  /** The foreign key's name in the database. */
  name: string;
  fromTable: string;
  fromColumns: string[];
  toTable: string;
  toColumns: string[];
  /** Rows of `fromTable` point at one row of `toTable` each. */
  kind: 'many_to_one';
}

/** Every foreign key as a relationship between two table keys. */
export function relationshipsOf(tables: TableInfo[]): Relationship[] {
  return tables.flatMap((table) =>
    table.foreignKeys.map((fk) => ({
      name: fk.name,
      fromTable: tableKey(table),
      fromColumns: fk.columns,
      toTable: fk.referencedSchema ? `${fk.referencedSchema}.${fk.referencedTable}` : fk.referencedTable,
      toColumns: fk.referencedColumns,
      kind: 'many_to_one' as const,
    })),
  );
}

/** What annotations say about a table or column, merged into a schema read. */
export interface AnnotationNote {
  table: string;
  column: string | null;
  description: string | null;
  tags: string[];
  context: string | null;
}

/** Whether an annotation's table (and column) still exists, by the exact names it was saved under. */
export function annotationTargetExists(tablesByKey: Map<string, TableInfo>, note: AnnotationNote): boolean {
  const table = tablesByKey.get(note.table);
  if (!table) return false;
  return note.column === null || table.columns.some((c) => c.name === note.column);
}

/** `?q=`: a case-insensitive match on the table's names, its columns, comments and annotations. */
export function tableMatches(table: TableInfo, notes: AnnotationNote[], q: string): boolean {
  const needle = q.toLowerCase();
  const haystack = [
    tableKey(table),
    table.comment ?? '',
    ...table.columns.flatMap((c) => [c.name, c.comment ?? '']),
    ...notes.flatMap((n) => [n.description ?? '', n.context ?? '', ...n.tags]),
  ];
  return haystack.some((text) => text.toLowerCase().includes(needle));
}

/** The position after the last table of a page: its key, opaque to clients. */
export function encodeTableCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

export function decodeTableCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof parsed.k !== 'string') throw new Error('bad cursor');
    return parsed.k;
  } catch {
    throw new BadRequestError('INVALID_CURSOR', 'cursor is not one this API issued; start again without it');
  }
}
