import { ColumnInfo, ForeignKeyInfo } from '../../plugin/connector-plugin';

/** A table or view as SQLite stores it; `sql` is its CREATE statement, which is its DDL. */
export interface SqliteTable {
  name: string;
  kind: 'table' | 'view';
  sql: string;
  columns: ColumnInfo[];
  primaryKey: string[];
  foreignKeys: ForeignKeyInfo[];
}

const USER_OBJECTS = `m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`;

export const PROBE_SQL = `
SELECT sqlite_version() AS version,
       (SELECT count(*) FROM sqlite_master m WHERE ${USER_OBJECTS}) AS tables`;

// The first tables and views by name, at most `?` of them: what introspection reads.
const CAPPED_OBJECTS = `(SELECT m.name AS name, m.type AS type, m.sql AS sql FROM sqlite_master m
  WHERE ${USER_OBJECTS} ORDER BY m.name LIMIT ?)`;

// The pragma table-valued functions read every table's columns and keys in one statement each.
// Reading a view's columns compiles it (and the views it reads), which is why introspection
// runs in a child process with a deadline, over a capped number of objects.
const COLUMNS_SQL = `
SELECT m.name AS tbl, m.type AS kind, m.sql AS ddl, p.name AS name, p.type AS type,
       p."notnull" AS not_null, p.dflt_value AS dflt, p.pk AS pk
FROM ${CAPPED_OBJECTS} m JOIN pragma_table_info(m.name) p
ORDER BY m.name, p.cid`;

const FOREIGN_KEYS_SQL = `
SELECT m.name AS tbl, f.id AS id, f."table" AS ref_table, f."from" AS col, f."to" AS ref_col
FROM ${CAPPED_OBJECTS} m JOIN pragma_foreign_key_list(m.name) f
WHERE m.type = 'table'
ORDER BY m.name, f.id, f.seq`;

/** The catalog statements for at most `maxTables` tables and views (first by name). */
export function catalogStatements(maxTables: number): Array<{ sql: string; params: unknown[] }> {
  return [
    { sql: COLUMNS_SQL, params: [maxTables] },
    { sql: FOREIGN_KEYS_SQL, params: [maxTables] },
  ];
}

/** How many statements {@link readSqliteCatalog} runs, whatever the number of tables. */
export const CATALOG_QUERIES = 2;

export interface ColumnRow {
  tbl: string;
  kind: 'table' | 'view';
  ddl: string | null;
  name: string;
  type: string;
  not_null: number;
  dflt: string | null;
  pk: number;
}

export interface ForeignKeyRow {
  tbl: string;
  id: number;
  ref_table: string;
  col: string;
  ref_col: string | null;
}

/** Tables and views with their columns, primary and foreign keys, from the rows of the two catalog queries. */
export function buildSqliteCatalog(columnRows: ColumnRow[], keyRows: ForeignKeyRow[]): SqliteTable[] {
  const tables = new Map<string, SqliteTable & { pkOrder: Array<[number, string]> }>();
  for (const row of columnRows) {
    let table = tables.get(row.tbl);
    if (!table) {
      table = {
        name: row.tbl,
        kind: row.kind,
        sql: row.ddl ?? '',
        columns: [],
        primaryKey: [],
        foreignKeys: [],
        pkOrder: [],
      };
      tables.set(row.tbl, table);
    }
    table.columns.push({
      name: row.name,
      type: row.type,
      nullable: row.not_null === 0 && row.pk === 0,
      default: row.dflt,
      primaryKey: row.pk > 0,
      comment: null,
    });
    if (row.pk > 0) table.pkOrder.push([row.pk, row.name]);
  }
  for (const table of tables.values()) {
    table.primaryKey = table.pkOrder.sort((a, b) => a[0] - b[0]).map(([, name]) => name);
  }

  const byId = new Map<string, ForeignKeyInfo>();
  for (const row of keyRows) {
    const table = tables.get(row.tbl);
    if (!table) continue;
    const key = `${row.tbl}\u0000${row.id}`;
    let fk = byId.get(key);
    if (!fk) {
      fk = { name: '', columns: [], referencedSchema: null, referencedTable: row.ref_table, referencedColumns: [] };
      byId.set(key, fk);
      table.foreignKeys.push(fk);
    }
    fk.columns.push(row.col);
    if (row.ref_col !== null) fk.referencedColumns.push(row.ref_col);
  }
  for (const table of tables.values()) {
    for (const fk of table.foreignKeys) {
      // SQLite keeps no constraint names; "REFERENCES t" without columns means t's primary key.
      fk.name = `${table.name}_${fk.columns.join('_')}_fkey`;
      if (!fk.referencedColumns.length) fk.referencedColumns = [...(tables.get(fk.referencedTable)?.primaryKey ?? [])];
    }
  }
  return [...tables.values()].map(({ pkOrder: _pkOrder, ...table }) => table);
}
