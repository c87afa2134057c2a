import type { ForeignKeyInfo, SqlDialect } from '@sluice/connectors';
import { familyOf, postgresLike } from '../sql-dialects';
import type { LinkableTable } from './linkable-table';
import { foreignKeyResolver } from './table-graph';

/**
 * A cheap token count for budgets: characters / 4, rounded up, the usual rule of thumb for BPE
 * tokenizers. Against OpenAI's cl100k encoding on the DDL this file renders for the 11 defog
 * schemas it is 8% high overall, from 20% high (short snake_case names) to 16% low (long
 * run-together names such as `sbcustjoindate`); other vendors' tokenizers differ again. So leave
 * headroom below a model's real limit. Exact counts would need the provider's tokenizer, which a
 * budget does not justify.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Sample values shown per column, and characters per value, in the prompt. */
const MAX_SAMPLES = 5;
const MAX_SAMPLE_CHARS = 40;

/** Words that must be quoted as identifiers in any of our dialects (a short list: names only). */
const RESERVED = new Set(
  (
    'all and any as asc between by case check column constraint create cross default delete desc distinct do ' +
    'else end except false fetch for foreign from full grant group having in index inner insert intersect into ' +
    'is join key lateral left like limit natural not null offset on only or order outer primary range ' +
    'references right select session_user table then to true union unique update user using when where window with'
  ).split(' '),
);

/** An identifier as the dialect writes it: bare when it can be, quoted otherwise. */
export function quoteIdentifier(name: string, dialect: SqlDialect): string {
  if (familyOf(dialect) === 'mysql') {
    return /^[A-Za-z_][A-Za-z0-9_$]*$/.test(name) && !RESERVED.has(name.toLowerCase())
      ? name
      : `\`${name.replace(/`/g, '``')}\``;
  }
  // PostgreSQL, Redshift and SQLite fold or ignore case: only lower-case simple names stay bare.
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** PostgreSQL's long catalog type names, as the short spellings the same server accepts. */
const PG_SHORT_TYPES: Array<[RegExp, string]> = [
  [/^character varying/, 'varchar'],
  [/^character\b/, 'char'],
  [/^timestamp(\(\d+\))? without time zone$/, 'timestamp$1'],
  [/^timestamp(\(\d+\))? with time zone$/, 'timestamptz$1'],
  [/^time(\(\d+\))? without time zone$/, 'time$1'],
  [/^time(\(\d+\))? with time zone$/, 'timetz$1'],
];

/** A column type as the prompt shows it: short spellings where the dialect has them. */
export function compactType(type: string, dialect: SqlDialect): string {
  if (!postgresLike(dialect)) return type;
  for (const [long, short] of PG_SHORT_TYPES) if (long.test(type)) return type.replace(long, short);
  return type;
}

function qualified(schema: string | null, name: string, dialect: SqlDialect): string {
  return schema
    ? `${quoteIdentifier(schema, dialect)}.${quoteIdentifier(name, dialect)}`
    : quoteIdentifier(name, dialect);
}

/** One line of comment text: whitespace runs (newlines too) collapsed. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

const sample = (value: string) => {
  const text = oneLine(value);
  const cut = text.length > MAX_SAMPLE_CHARS ? `${text.slice(0, MAX_SAMPLE_CHARS - 1)}…` : text;
  return `'${cut.replace(/'/g, "''")}'`;
};

export interface RenderOptions {
  dialect: SqlDialect;
  /**
   * Whether a foreign key's target is in the same prompt: one to a table outside it is left out,
   * so the prompt never names a table it does not describe. Every foreign key when omitted.
   */
  shows?: (fk: ForeignKeyInfo) => boolean;
}

/** The comment that trails a column: description, tags, annotation context and sample values. */
function columnComment(entry: LinkableTable, column: string, comment: string | null): string {
  const note = entry.columnNotes?.[column];
  const parts: string[] = [];
  const description = note?.description ?? comment;
  if (description) parts.push(oneLine(description));
  if (note?.tags?.length) parts.push(`tags: ${note.tags.join(', ')}`);
  if (note?.context) parts.push(`note: ${oneLine(note.context)}`);
  const values = entry.sampleValues?.[column];
  if (values?.length) parts.push(`values: ${values.slice(0, MAX_SAMPLES).map(sample).join(', ')}`);
  return parts.length ? ` -- ${parts.join('; ')}` : '';
}

/**
 * One table as compact DDL for a prompt: `-- description`, `-- tags:` and `-- context:` lines,
 * then CREATE TABLE (or VIEW) with column types, NOT NULL, the primary key and foreign keys, each
 * column trailed by its description, tags and sample values. Defaults and indexes are left out:
 * they cost tokens and rarely change the SQL a question needs.
 */
export function renderTableDdl(entry: LinkableTable, options: RenderOptions): string {
  const { table } = entry;
  const { dialect } = options;
  const lines: string[] = [];
  const description = entry.description ?? table.comment;
  if (description) lines.push(`-- ${oneLine(description)}`);
  if (entry.tags?.length) lines.push(`-- tags: ${entry.tags.join(', ')}`);
  if (entry.context) lines.push(`-- context: ${oneLine(entry.context)}`);

  const items: Array<{ text: string; comment: string }> = table.columns.map((c) => ({
    text: `${quoteIdentifier(c.name, dialect)} ${compactType(c.type, dialect)}${c.nullable ? '' : ' NOT NULL'}`,
    comment: columnComment(entry, c.name, c.comment),
  }));
  const ident = (names: string[]) => names.map((n) => quoteIdentifier(n, dialect)).join(', ');
  // Keys over a column left out of `columns` (withheld from this caller) would name it: dropped.
  const present = new Set(table.columns.map((c) => c.name));
  const shown = (names: string[]) => names.length > 0 && names.every((n) => present.has(n));
  if (shown(table.primaryKey)) items.push({ text: `PRIMARY KEY (${ident(table.primaryKey)})`, comment: '' });
  for (const fk of table.foreignKeys) {
    if (!shown(fk.columns) || (options.shows && !options.shows(fk))) continue;
    const target = qualified(fk.referencedSchema, fk.referencedTable, dialect);
    items.push({
      text: `FOREIGN KEY (${ident(fk.columns)}) REFERENCES ${target} (${ident(fk.referencedColumns)})`,
      comment: '',
    });
  }
  const body = items.map((item, i) => `  ${item.text}${i < items.length - 1 ? ',' : ''}${item.comment}`);
  const kind = table.kind === 'view' ? 'VIEW' : 'TABLE';
  lines.push(`CREATE ${kind} ${qualified(table.schema, table.name, dialect)} (`, ...body, ');');
  return lines.join('\n');
}

/** Tables joined by blank lines; foreign keys only between the tables given. */
export function renderDdl(tables: LinkableTable[], dialect: SqlDialect): string {
  const resolve = foreignKeyResolver(tables);
  return tables.map((t) => renderTableDdl(t, { dialect, shows: (fk) => resolve(fk) !== null })).join('\n\n');
}
