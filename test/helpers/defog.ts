import type { PostgresConfig, PostgresqlConnector } from '@sluice/connectors';
import type { LinkableTable } from '@sluice/nl2sql/testing';
import { tableKey } from '@sluice/schema';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contextFor } from './connector-testing';
import { createDatabaseWith, databaseName } from './test-env';

const DEFOG = join(__dirname, '..', 'fixtures', 'defog');

export interface DefogQuestion {
  question: string;
  /** The gold cell as written, before expansion. */
  gold: string;
  db: string;
  category: string;
}

/** Rows of a CSV file with quoted fields (commas, quotes and newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

/** The 210 questions of questions_gen_postgres.csv. */
export function defogQuestions(): DefogQuestion[] {
  const [header, ...rows] = parseCsv(readFileSync(join(DEFOG, 'questions_gen_postgres.csv'), 'utf8'));
  const col = (name: string) => header.indexOf(name);
  return rows.map((r) => ({
    question: r[col('question')],
    gold: r[col('query')],
    db: r[col('db_name')],
    category: r[col('query_category')],
  }));
}

/** Splits SQL on semicolons outside quotes. */
function splitStatements(sql: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const c of sql) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ';') {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/**
 * Every concrete query a gold cell stands for: each `;`-separated alternative, and for column
 * choices `{a, b}` each option (`{}` repeats the option chosen for the group before it).
 */
export function expandGold(cell: string): string[] {
  const out: string[] = [];
  for (const statement of splitStatements(cell)) {
    const groups = [...statement.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1].split(',').map((s) => s.trim()));
    const choices = groups.filter((g) => g.length > 0 && g[0] !== '');
    if (choices.length === 0) {
      out.push(statement);
      continue;
    }
    // One variant per option index (options of every group taken in step), which covers each option.
    const width = Math.max(...choices.map((g) => g.length));
    for (let i = 0; i < width; i++) {
      let last = '';
      out.push(
        statement.replace(/\{([^{}]*)\}/g, (_m, inner: string) => {
          if (inner.trim() === '') return last;
          const options = inner.split(',').map((s) => s.trim());
          last = options[Math.min(i, options.length - 1)];
          return last;
        }),
      );
    }
  }
  return [...new Set(out)];
}

export const DEFOG_DATABASES = readdirSync(join(DEFOG, 'databases'))
  .filter((f) => f.endsWith('.sql'))
  .map((f) => f.replace(/\.sql$/, ''));

/** Column descriptions of one defog database: { table: { column: description } } as published. */
export function defogDescriptions(db: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DEFOG, 'databases', `${db}.json`), 'utf8')) as Record<string, unknown>;
}

/** Creates the database of `url` and loads one defog database (DDL and rows) into it. */
export async function loadDefog(db: string, url: string): Promise<void> {
  await createDatabaseWith(url, readFileSync(join(DEFOG, 'databases', `${db}.sql`), 'utf8'));
}

interface ColumnMeta {
  column_name: string;
  column_description?: string;
}

/**
 * A loaded defog database introspected by the real plugin, each table with defog's column
 * descriptions (`<db>.json`) as its column notes: what schema linking ranks.
 */
export async function defogLinkableTables(
  connector: PostgresqlConnector,
  db: string,
  url: string,
): Promise<LinkableTable[]> {
  const config = connector.parseConfig(
    { host: '127.0.0.1', port: 5432, database: databaseName(url), user: 'postgres', ssl: { mode: 'disable' } },
    { password: '' },
  );
  const snapshot = await connector.sql.introspect(contextFor<PostgresConfig>(config));
  const meta = (defogDescriptions(db).table_metadata ?? {}) as Record<string, ColumnMeta[]>;
  const metaFor = (schema: string | null, name: string) =>
    Object.entries(meta).find(([k]) => [name, `${schema}.${name}`].includes(k.toLowerCase()))?.[1] ?? [];
  return snapshot.tables.map((table) => {
    const described = metaFor(table.schema, table.name.toLowerCase());
    const columnNotes = Object.fromEntries(
      table.columns.flatMap((c) => {
        const found = described.find((m) => m.column_name.toLowerCase() === c.name.toLowerCase());
        return found?.column_description ? [[c.name, { description: found.column_description }]] : [];
      }),
    );
    return { key: tableKey(table), table, columnNotes };
  });
}
