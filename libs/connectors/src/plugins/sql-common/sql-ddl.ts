import { createHash } from 'node:crypto';
import { dialectSpec, type SqlDialect } from '@sluice/core';
import { TableInfo } from '../../plugin/connector-plugin';
import '../built-in-dialects';

/** The dialect DDL is written in; MySQL's family quotes and comments its own way, the others PostgreSQL's. */
export type DdlDialect = SqlDialect;

const mysqlLike = (dialect: DdlDialect): boolean => dialectSpec(dialect).family === 'mysql';

/** A table or view as the catalog reader saw it, with what only the DDL needs. */
export interface CatalogTable extends TableInfo {
  /** The view's SELECT as the server stores it; null for tables. */
  definition: string | null;
  materialized?: boolean;
}

// Words that a bare identifier may not be in at least one of the dialects; quoting them is
// always correct, and keeping common lower-case names bare keeps the DDL readable in prompts.
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric between both by case cast check collate column constraint ' +
    'create cross current_catalog current_date current_role current_time current_timestamp current_user default ' +
    'deferrable delete desc distinct do else end except exists false fetch for foreign from full grant group having ' +
    'in index initially inner insert intersect interval into is join key keys lateral leading left like limit ' +
    'localtime localtimestamp match natural not null offset on only or order outer overlaps placing primary range ' +
    'read references returning right row rows select session_user set show some symmetric table then to trailing ' +
    'true union unique update usage user using values when where window with'
  ).split(' '),
);

export function quoteIdentifier(name: string, dialect: DdlDialect): string {
  if (mysqlLike(dialect)) {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name.toLowerCase())
      ? name
      : `\`${name.replace(/`/g, '``')}\``;
  }
  // PostgreSQL folds bare names to lower case, so anything else must be quoted to survive.
  return /^[a-z_][a-z0-9_]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string, dialect: DdlDialect): string {
  const escaped = value.replace(/'/g, "''");
  return mysqlLike(dialect) ? `'${escaped.replace(/\\/g, '\\\\')}'` : `'${escaped}'`;
}

export function qualifiedName(schema: string | null, name: string, dialect: DdlDialect): string {
  const bare = quoteIdentifier(name, dialect);
  return schema ? `${quoteIdentifier(schema, dialect)}.${bare}` : bare;
}

function columnList(names: string[], dialect: DdlDialect): string {
  return names.map((n) => quoteIdentifier(n, dialect)).join(', ');
}

function tableDdl(table: CatalogTable, dialect: DdlDialect): string {
  const name = qualifiedName(table.schema, table.name, dialect);
  const lines = table.columns.map((column) => {
    let line = `  ${quoteIdentifier(column.name, dialect)} ${column.type}`;
    if (!column.nullable) line += ' NOT NULL';
    if (column.default !== null) line += ` DEFAULT ${column.default}`;
    if (mysqlLike(dialect) && column.comment) line += ` COMMENT ${quoteLiteral(column.comment, dialect)}`;
    return line;
  });
  if (table.primaryKey.length) lines.push(`  PRIMARY KEY (${columnList(table.primaryKey, dialect)})`);
  for (const fk of table.foreignKeys) {
    const target = qualifiedName(fk.referencedSchema, fk.referencedTable, dialect);
    lines.push(
      `  CONSTRAINT ${quoteIdentifier(fk.name, dialect)} FOREIGN KEY (${columnList(fk.columns, dialect)}) ` +
        `REFERENCES ${target} (${columnList(fk.referencedColumns, dialect)})`,
    );
  }
  let ddl = `CREATE TABLE ${name} (\n${lines.join(',\n')}\n)`;
  if (mysqlLike(dialect)) {
    return table.comment ? `${ddl} COMMENT=${quoteLiteral(table.comment, dialect)};` : `${ddl};`;
  }
  ddl += ';';
  // PostgreSQL keeps comments outside the CREATE statement.
  if (table.comment) ddl += `\nCOMMENT ON TABLE ${name} IS ${quoteLiteral(table.comment, dialect)};`;
  for (const column of table.columns) {
    if (!column.comment) continue;
    const target = `${name}.${quoteIdentifier(column.name, dialect)}`;
    ddl += `\nCOMMENT ON COLUMN ${target} IS ${quoteLiteral(column.comment, dialect)};`;
  }
  return ddl;
}

function viewDdl(view: CatalogTable, dialect: DdlDialect): string {
  const name = qualifiedName(view.schema, view.name, dialect);
  const kind = view.materialized ? 'MATERIALIZED VIEW' : 'VIEW';
  const body = view.definition?.trim().replace(/;+\s*$/, '');
  if (!body) {
    // Without the definition (no privilege to read it) the column list is still worth showing.
    const columns = view.columns.map((c) => `--   ${quoteIdentifier(c.name, dialect)} ${c.type}`).join('\n');
    return `-- ${kind} ${name}: definition not readable\n${columns}`;
  }
  let ddl = `CREATE ${kind} ${name} AS\n${body};`;
  if (!mysqlLike(dialect) && view.comment) {
    ddl += `\nCOMMENT ON ${kind} ${name} IS ${quoteLiteral(view.comment, dialect)};`;
  }
  return ddl;
}

/** A CREATE statement for one table or view, in the server's own dialect. */
export function buildDdl(table: CatalogTable, dialect: DdlDialect): string {
  return table.kind === 'view' ? viewDdl(table, dialect) : tableDdl(table, dialect);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Drops the catalog-only fields so a snapshot carries exactly the contract's TableInfo. */
export function toTableInfo(table: CatalogTable): TableInfo {
  const { schema, name, kind, comment, rowEstimate, columns, primaryKey, foreignKeys } = table;
  return { schema, name, kind, comment, rowEstimate, columns, primaryKey, foreignKeys };
}
