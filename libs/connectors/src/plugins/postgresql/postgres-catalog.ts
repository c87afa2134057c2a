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

const RELATIONS_SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS relkind, d.description AS comment,
       CASE WHEN c.relkind IN ('v', 'm') OR c.reltuples < 0 THEN NULL ELSE c.reltuples::float8 END AS row_estimate,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE ${RELATION_FILTER}
ORDER BY 1, 2`;

const COLUMNS_SQL = `
SELECT n.nspname AS schema, c.relname AS table, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
       pg_get_expr(ad.adbin, ad.adrelid) AS default, d.description AS comment
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND ${RELATION_FILTER}
ORDER BY 1, 2, a.attnum`;

// Column lists keep the constraint's own order, which is what pairs columns of a composite key.
const CONSTRAINTS_SQL = `
SELECT n.nspname AS schema, c.relname AS table, con.conname AS name, con.contype AS type,
       ARRAY(SELECT a.attname::text FROM generate_subscripts(con.conkey, 1) k(i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[k.i]
             ORDER BY k.i) AS columns,
       rn.nspname AS ref_schema, rc.relname AS ref_table,
       ARRAY(SELECT a.attname::text FROM generate_subscripts(con.confkey, 1) k(i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = con.confkey[k.i]
             ORDER BY k.i) AS ref_columns
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'f') AND ${RELATION_FILTER}
ORDER BY 1, 2, 3`;

/** How many statements {@link readPostgresCatalog} sends, whatever the number of tables. */
export const CATALOG_QUERIES = 3;

interface RelationRow {
  schema: string;
  name: string;
  relkind: string;
  comment: string | null;
  row_estimate: number | null;
  definition: string | null;
}

interface ColumnRow {
  schema: string;
  table: string;
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
  comment: string | null;
}

interface ConstraintRow {
  schema: string;
  table: string;
  name: string;
  type: 'p' | 'f';
  columns: string[];
  ref_schema: string | null;
  ref_table: string | null;
  ref_columns: string[];
}

const key = (schema: string, name: string) => `${schema}\u0000${name}`;

/** Tables and views of the configured schemas, in three catalog queries. */
export async function readPostgresCatalog(client: ClientBase, schemas: string[] | null): Promise<CatalogTable[]> {
  const params = [schemas];
  const relations = (await client.query<RelationRow>(RELATIONS_SQL, params)).rows;
  const columns = (await client.query<ColumnRow>(COLUMNS_SQL, params)).rows;
  const constraints = (await client.query<ConstraintRow>(CONSTRAINTS_SQL, params)).rows;

  const tables = new Map<string, CatalogTable>();
  for (const r of relations) {
    const isView = r.relkind === 'v' || r.relkind === 'm';
    tables.set(key(r.schema, r.name), {
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
    });
  }
  for (const c of columns) {
    const column: ColumnInfo = {
      name: c.name,
      type: c.type,
      nullable: c.nullable,
      default: c.default,
      primaryKey: false,
      comment: c.comment,
    };
    tables.get(key(c.schema, c.table))?.columns.push(column);
  }
  for (const con of constraints) {
    const table = tables.get(key(con.schema, con.table));
    if (!table) continue;
    if (con.type === 'p') {
      table.primaryKey = con.columns;
      for (const column of table.columns) column.primaryKey = con.columns.includes(column.name);
    } else {
      const fk: ForeignKeyInfo = {
        name: con.name,
        columns: con.columns,
        referencedSchema: con.ref_schema,
        referencedTable: con.ref_table ?? '',
        referencedColumns: con.ref_columns,
      };
      table.foreignKeys.push(fk);
    }
  }
  return [...tables.values()];
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
