import { Connection } from 'mysql2';
import { ColumnInfo } from '../../plugin/connector-plugin';
import { quoteLiteral } from '../sql-common/sql-ddl';
import { CatalogTable } from '../sql-common/sql-ddl';
import { mysqlQuery } from './mysql-connections';

export type MysqlFlavor = 'mariadb' | 'mysql';

export interface MysqlServer {
  flavor: MysqlFlavor;
  /** The VERSION() text, e.g. "10.11.6-MariaDB-0+deb12u1". */
  version: string;
  /** "MariaDB 10.11.6" or "MySQL 8.0.36". */
  label: string;
}

const servers = new WeakMap<Connection, MysqlServer>();

export function describeServer(version: string): MysqlServer {
  const flavor: MysqlFlavor = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  // Old MariaDB releases prefix "5.5.5-" so that ancient clients accept them.
  const number = /^(?:5\.5\.5-)?(\d+(?:\.\d+)*)/.exec(version)?.[1] ?? version;
  return { flavor, version, label: `${flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${number}` };
}

/** Which server is behind a connection, asked once per physical connection. */
export async function serverOf(conn: Connection): Promise<MysqlServer> {
  const known = servers.get(conn);
  if (known) return known;
  const [row] = await mysqlQuery<Array<{ version: string }>>(conn, 'SELECT VERSION() AS version');
  const server = describeServer(row.version);
  servers.set(conn, server);
  return server;
}

export const PROBE_SQL = `
SELECT VERSION() AS version, DATABASE() AS db,
       (SELECT COUNT(*) FROM information_schema.TABLES
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')) AS tables`;

const TABLES_SQL = `
SELECT t.TABLE_NAME AS name, t.TABLE_TYPE AS type, t.TABLE_COMMENT AS comment, t.TABLE_ROWS AS row_estimate,
       v.VIEW_DEFINITION AS definition
FROM information_schema.TABLES t
LEFT JOIN information_schema.VIEWS v ON v.TABLE_SCHEMA = t.TABLE_SCHEMA AND v.TABLE_NAME = t.TABLE_NAME
WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED', 'VIEW')
ORDER BY t.TABLE_NAME`;

const COLUMNS_SQL = `
SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
       COLUMN_DEFAULT AS dflt, COLUMN_COMMENT AS comment, EXTRA AS extra, DATA_TYPE AS data_type
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ?
ORDER BY TABLE_NAME, ORDINAL_POSITION`;

const KEYS_SQL = `
SELECT k.TABLE_NAME AS table_name, k.CONSTRAINT_NAME AS name, c.CONSTRAINT_TYPE AS type, k.COLUMN_NAME AS column_name,
       k.REFERENCED_TABLE_SCHEMA AS ref_schema, k.REFERENCED_TABLE_NAME AS ref_table,
       k.REFERENCED_COLUMN_NAME AS ref_column
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.TABLE_CONSTRAINTS c
  ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME AND c.CONSTRAINT_NAME = k.CONSTRAINT_NAME
WHERE k.TABLE_SCHEMA = ? AND c.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'FOREIGN KEY')
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`;

/** How many catalog statements {@link readMysqlCatalog} sends, whatever the number of tables. */
export const CATALOG_QUERIES = 3;

interface TableRow {
  name: string;
  type: string;
  comment: string | null;
  row_estimate: number | string | null;
  definition: string | null;
}

interface ColumnRow {
  table_name: string;
  name: string;
  type: string;
  nullable: 'YES' | 'NO';
  dflt: string | null;
  comment: string | null;
  extra: string | null;
  data_type: string;
}

interface KeyRow {
  table_name: string;
  name: string;
  type: 'PRIMARY KEY' | 'FOREIGN KEY';
  column_name: string;
  ref_schema: string | null;
  ref_table: string | null;
  ref_column: string | null;
}

const NUMERIC = /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|bit|year)$/i;

/**
 * COLUMN_DEFAULT as an SQL expression. MariaDB already stores it that way (with the text NULL for
 * "no default"); MySQL stores the bare literal and flags expressions as DEFAULT_GENERATED.
 */
export function defaultExpression(
  row: Pick<ColumnRow, 'dflt' | 'extra' | 'data_type'>,
  flavor: MysqlFlavor,
): string | null {
  const value = row.dflt;
  if (value === null) return null;
  if (flavor === 'mariadb') return value === 'NULL' ? null : value;
  if (/DEFAULT_GENERATED/i.test(row.extra ?? '')) {
    return /^current_timestamp(\(\d*\))?$/i.test(value) ? value : `(${value})`;
  }
  return NUMERIC.test(row.data_type) && /^-?[\d.e+-]+$/i.test(value) ? value : quoteLiteral(value, 'mysql');
}

/** Tables and views of one database, in three catalog queries. */
export async function readMysqlCatalog(
  conn: Connection,
  database: string,
  flavor: MysqlFlavor,
): Promise<CatalogTable[]> {
  const tableRows = await mysqlQuery<TableRow[]>(conn, TABLES_SQL, [database]);
  const columnRows = await mysqlQuery<ColumnRow[]>(conn, COLUMNS_SQL, [database]);
  const keyRows = await mysqlQuery<KeyRow[]>(conn, KEYS_SQL, [database]);

  const tables = new Map<string, CatalogTable>();
  for (const row of tableRows) {
    const isView = row.type === 'VIEW';
    tables.set(row.name, {
      schema: database,
      name: row.name,
      kind: isView ? 'view' : 'table',
      // MySQL fills a view's comment with the word VIEW.
      comment: !row.comment || isView ? null : row.comment,
      rowEstimate: isView || row.row_estimate === null ? null : Number(row.row_estimate),
      columns: [],
      primaryKey: [],
      foreignKeys: [],
      definition: row.definition,
    });
  }
  for (const row of columnRows) {
    const column: ColumnInfo = {
      name: row.name,
      type: row.type,
      nullable: row.nullable === 'YES',
      default: defaultExpression(row, flavor),
      primaryKey: false,
      comment: row.comment || null,
    };
    tables.get(row.table_name)?.columns.push(column);
  }
  for (const row of keyRows) {
    const table = tables.get(row.table_name);
    if (!table) continue;
    if (row.type === 'PRIMARY KEY') {
      table.primaryKey.push(row.column_name);
      const column = table.columns.find((c) => c.name === row.column_name);
      if (column) column.primaryKey = true;
      continue;
    }
    // Rows come ordered by constraint and position, so one constraint's columns arrive together.
    let fk = table.foreignKeys.find((f) => f.name === row.name);
    if (!fk) {
      fk = {
        name: row.name,
        columns: [],
        referencedSchema: row.ref_schema,
        referencedTable: row.ref_table ?? '',
        referencedColumns: [],
      };
      table.foreignKeys.push(fk);
    }
    fk.columns.push(row.column_name);
    if (row.ref_column) fk.referencedColumns.push(row.ref_column);
  }
  return [...tables.values()];
}
