import type { SqlDialect } from './dialect-registry';

export interface ColumnInfo {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
  primaryKey: boolean;
  comment: string | null;
}

export interface ForeignKeyInfo {
  name: string;
  columns: string[];
  referencedSchema: string | null;
  referencedTable: string;
  referencedColumns: string[];
}

export interface TableInfo {
  /** Null for engines without schemas (SQLite); MySQL uses the database name. */
  schema: string | null;
  name: string;
  kind: 'table' | 'view';
  comment: string | null;
  rowEstimate: number | null;
  columns: ColumnInfo[];
  primaryKey: string[];
  foreignKeys: ForeignKeyInfo[];
}

export interface SchemaSnapshot {
  dialect: SqlDialect;
  database: string;
  tables: TableInfo[];
  /** How many catalog queries introspection took: constant, never one per table. */
  catalogQueries: number;
}
