import { ClientBase } from 'pg';
import { ColumnInfo, ForeignKeyInfo } from '../../plugin/connector-plugin';
import { CatalogTable } from '../sql-common/sql-ddl';

// $1 is the configured schema list, or null for every schema that is not the server's own.
// Partitions are left out: their parent already describes them, and a big partitioned table
// would otherwise flood the snapshot. pg_inherits keeps this readable by older and derived
// servers that lack pg_class.relispartition.
const RELATION_FILTER = `
  c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND CASE WHEN $1::text[] IS NULL
        THEN n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
        ELSE n.nspname = ANY($1::text[]) END
  AND NOT EXISTS (
    SELECT 1 FROM pg_inherits i JOIN pg_class parent ON parent.oid = i.inhparent
    WHERE i.inhrelid = c.oid AND parent.relkind = 'p')`;

export const PROBE_SQL = `
SELECT version() AS version,
       current_setting('server_version') AS server_version,
       current_database() AS database,
       (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE ${RELATION_FILTER}) AS tables`;

// Relations carry their oid: columns and keys are joined to them by number, and the keys are read
// for exactly these oids, so that query needs neither the filter again nor a sort on names.
const RELATIONS_SQL = `
SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind AS relkind, d.description AS comment,
       CASE WHEN c.relkind IN ('v', 'm') OR c.reltuples < 0 THEN NULL ELSE c.reltuples::float8 END AS row_estimate,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE ${RELATION_FILTER}
ORDER BY 2, 3`;

// Columns are selected by the relation filter rather than by the oids RELATIONS_SQL found, so
// that they are read on a second connection while the relations and keys are read on the first.
// No ORDER BY: the rows are grouped by relation on our side, and a relation's columns are put in
// attribute order there only when they did not arrive in it (sorting 20,000 wide rows on the
// server cost more than checking them).
//
// pg_get_expr is given the relation only when the expression refers to a column (a generated
// column's expression; a DEFAULT never can): given a relation, it opens that relation, which
// takes a lock on it until the statement ends (a schema of thousands of tables then fills the
// server's lock table, and waits behind any ALTER TABLE) and builds its relation cache entry.
// Without one, an expression without column references is printed the same.
const COLUMNS_SQL = `
SELECT a.attrelid AS oid, a.attnum AS num, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       pg_get_expr(ad.adbin, CASE WHEN ad.adbin::text LIKE '%{VAR %' THEN ad.adrelid ELSE 0 END) AS default,
       d.description AS comment
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_description d ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE ${RELATION_FILTER}`;

// Key columns come back as attribute numbers, in the constraint's own order (which is what pairs
// the columns of a composite key); they are named from the columns already read. A foreign key
// to a relation outside $1 (another schema, a partition) has its referenced names read here.
const CONSTRAINTS_SQL = `
SELECT con.conrelid AS oid, con.conname AS name, con.contype AS type, con.conkey AS keys,
       con.confrelid AS ref_oid, con.confkey AS ref_keys, rn.nspname AS ref_schema, rc.relname AS ref_table,
       CASE WHEN con.contype = 'f' AND NOT (con.confrelid = ANY($1::oid[])) THEN
         ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, i)
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
               ORDER BY k.i)
       END AS ref_columns
FROM pg_constraint con
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('p', 'f')
ORDER BY con.conrelid, con.conname`;

/** How many statements {@link readPostgresCatalog} sends, whatever the number of tables. */
export const CATALOG_QUERIES = 3;

/**
 * Runs `work` on a connection of its own for the time it takes (a pooled one, given back after):
 * the catalog is read on two at once.
 */
export type OnConnection = <T>(work: (client: ClientBase) => Promise<T>) => Promise<T>;

// oids are unsigned 32-bit numbers; node-postgres hands them over as numbers.
export interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  comment: string | null;
  row_estimate: number | null;
  definition: string | null;
}

/**
 * A row of COLUMNS_SQL as the server sent it, every value as text: oid, num, name, type,
 * not_null ('t' or 'f'), default, comment. Tens of thousands of them on a large schema, so they
 * are taken as arrays of the raw text, without an object or a type parser per row.
 */
export type ColumnRow = [string, string, string, string, string, string | null, string | null];

const RAW_TEXT = { getTypeParser: () => (value: string) => value };

export interface ConstraintRow {
  oid: number;
  name: string;
  type: 'p' | 'f';
  keys: number[];
  ref_oid: number;
  ref_keys: number[] | null;
  ref_schema: string | null;
  ref_table: string | null;
  /** Set only when the referenced relation is not among those read. */
  ref_columns: string[] | null;
}

/** A relation being assembled: its table, and the attribute number of each of its columns. */
interface Assembly {
  table: CatalogTable;
  nums: number[];
}

/**
 * Tables and views of the configured schemas, in three catalog queries on two connections: the
 * columns (most of the work, on the server and here) on one, the relations and then their keys on
 * the other. Each statement sees its own snapshot, as before when the three ran one after the
 * other: a table created or dropped meanwhile may show without its columns or keys until the next
 * read, never with another table's.
 */
export async function readPostgresCatalog(
  onConnection: OnConnection,
  schemas: string[] | null,
): Promise<CatalogTable[]> {
  const [columns, [relations, constraints]] = await Promise.all([
    onConnection(
      async (client) =>
        (await client.query<ColumnRow>({ text: COLUMNS_SQL, values: [schemas], rowMode: 'array', types: RAW_TEXT }))
          .rows,
    ),
    onConnection(async (client) => {
      const found = (await client.query<RelationRow>(RELATIONS_SQL, [schemas])).rows;
      const oids = found.map((r) => r.oid);
      return [found, (await client.query<ConstraintRow>(CONSTRAINTS_SQL, [oids])).rows] as const;
    }),
  ]);
  return assembleCatalog(relations, columns, constraints);
}

/**
 * The tables built from the rows of the three catalog queries, which arrive in any order but the
 * relations' (each relation's columns are put in attribute order here).
 */
export function assembleCatalog(
  relations: RelationRow[],
  columns: ColumnRow[],
  constraints: ConstraintRow[],
): CatalogTable[] {
  const byOid = new Map<number, Assembly>();
  const tables: CatalogTable[] = [];
  for (const r of relations) {
    const isView = r.relkind === 'v' || r.relkind === 'm';
    const table: CatalogTable = {
      schema: r.schema,
      name: r.name,
      kind: isView ? 'view' : 'table',
      comment: r.comment,
      rowEstimate: r.row_estimate === null ? null : Math.round(Number(r.row_estimate)),
      columns: [],
      primaryKey: [],
      foreignKeys: [],
      definition: r.definition,
      materialized: r.relkind === 'm',
    };
    tables.push(table);
    byOid.set(r.oid, { table, nums: [] });
  }
  // A relation's columns nearly always come one after the other: its lookup is reused meanwhile.
  let lastOid: string | undefined;
  let owner: Assembly | undefined;
  // Indexed rather than destructured: destructuring goes through the array iterator, per row.
  for (let i = 0; i < columns.length; i++) {
    const row = columns[i];
    if (row[0] !== lastOid) {
      lastOid = row[0];
      owner = byOid.get(Number(lastOid));
    }
    if (!owner) continue; // a relation created after the relations were read
    const column: ColumnInfo = {
      name: row[2],
      type: row[3],
      nullable: row[4] !== 't',
      default: row[5],
      primaryKey: false,
      comment: row[6],
    };
    owner.table.columns.push(column);
    owner.nums.push(Number(row[1]));
  }
  for (const assembly of byOid.values()) inAttributeOrder(assembly);
  // Keys name a few columns each: a scan of the relation's numbers beats a map per relation.
  const named = (of: Assembly | undefined, nums: number[] | null): string[] => {
    const names: string[] = [];
    for (const num of nums ?? []) {
      const at = of ? of.nums.indexOf(num) : -1;
      if (at >= 0) names.push(of!.table.columns[at].name);
    }
    return names;
  };
  for (const con of constraints) {
    const of = byOid.get(con.oid);
    if (!of) continue;
    const { table } = of;
    const columnNames = named(of, con.keys);
    if (con.type === 'p') {
      table.primaryKey = columnNames;
      const inKey = new Set(columnNames);
      for (const column of table.columns) column.primaryKey = inKey.has(column.name);
    } else {
      const fk: ForeignKeyInfo = {
        name: con.name,
        columns: columnNames,
        referencedSchema: con.ref_schema,
        referencedTable: con.ref_table ?? '',
        referencedColumns: con.ref_columns ?? named(byOid.get(con.ref_oid), con.ref_keys),
      };
      table.foreignKeys.push(fk);
    }
  }
  return tables;
}

/** Puts a relation's columns in attribute order, which they nearly always arrive in already. */
function inAttributeOrder(assembly: Assembly): void {
  const { table, nums } = assembly;
  let ordered = true;
  for (let i = 1; i < nums.length && ordered; i++) ordered = nums[i - 1] < nums[i];
  if (ordered) return;
  const order = nums.map((num, i) => ({ num, column: table.columns[i] })).sort((a, b) => a.num - b.num);
  table.columns = order.map((entry) => entry.column);
  assembly.nums = order.map((entry) => entry.num);
}

export interface PostgresProbe {
  version: string;
  server_version: string;
  database: string;
  tables: number;
}

/** "15.4" from PostgreSQL, "1.0.12103" from Redshift (whose server_version says 8.0.2). */
export function serverVersionOf(probe: Pick<PostgresProbe, 'version' | 'server_version'>): string {
  const redshift = /Redshift\s+([\d.]+)/i.exec(probe.version);
  if (redshift) return redshift[1];
  return probe.server_version.split(/\s/)[0] || probe.version;
}
