import { PostgresqlConnector, type TableInfo } from '@sluice/connectors';
import { extractReferences, randomAlphanumeric } from '@sluice/core';
import type { LinkableTable } from '@sluice/nl2sql/testing';
import { tableKey } from '@sluice/schema';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFOG_DATABASES, defogLinkableTables, defogQuestions, expandGold, loadDefog } from '../helpers/defog';
import { dropDatabase, testEnv } from '../helpers/test-env';

/**
 * The question sets of the schema-linking benchmark, read from test/fixtures only: each question
 * with its database's tables (as the linker receives them) and the tables its gold SQL reads.
 */

const FIXTURES = join(__dirname, '..', 'fixtures');

export interface LinkingQuestion {
  /** Stable id within its set (the hash of which puts it in the tune or the held-out half). */
  id: string;
  db: string;
  /** What the linker is given: the question, and for BIRD its evidence after it. */
  text: string;
  /** Keys of the tables the gold SQL reads; `?name` for a name the schema does not have. */
  gold: string[];
  split: 'tune' | 'held-out';
}

export interface LinkingSet {
  name: string;
  dialect: string;
  schemas: Map<string, LinkableTable[]>;
  questions: LinkingQuestion[];
}

/** A fixed half of every set, by hash of the question's id, on which the linker's weights were tuned. */
export function splitOf(set: string, id: string): 'tune' | 'held-out' {
  return createHash('sha256').update(`${set}:${id}`).digest()[0] % 2 === 0 ? 'tune' : 'held-out';
}

/** `<sql>\t<db>` per line. */
function goldLines(path: string): Array<{ sql: string; db: string }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const tab = line.lastIndexOf('\t');
      return { sql: line.slice(0, tab).trim(), db: line.slice(tab + 1).trim() };
    });
}

/** The tables one SQL statement reads (CTEs are not tables), as keys of `tables`. */
async function goldTables(sql: string, dialect: string, tables: LinkableTable[]): Promise<string[]> {
  const refs = await extractReferences(sql, dialect);
  const resolve = (name: string, schema: string | null) =>
    tables.find(
      (t) =>
        t.table.name.toLowerCase() === name.toLowerCase() &&
        (!schema || !t.table.schema || t.table.schema.toLowerCase() === schema.toLowerCase()),
    )?.key;
  return [...new Set(refs.tables.map((ref) => resolve(ref.name, ref.schema) ?? `?${ref.name}`))];
}

const column = (name: string, type: string, comment: string | null = null): TableInfo['columns'][number] => ({
  name,
  type,
  nullable: true,
  default: null,
  primaryKey: false,
  comment,
});

interface SpiderSchema {
  db_id: string;
  table_names_original: string[];
  column_names_original: Array<[number, string]>;
  column_types: string[];
  primary_keys: Array<number | number[]>;
  foreign_keys: Array<[number, number]>;
}

/** One Spider database from tables.json, as SQLite introspection would see it (names, types, keys). */
function spiderTables(schema: SpiderSchema): LinkableTable[] {
  const tables: TableInfo[] = schema.table_names_original.map((name) => ({
    schema: null,
    name,
    kind: 'table',
    comment: null,
    rowEstimate: null,
    columns: [],
    primaryKey: [],
    foreignKeys: [],
  }));
  const columns = schema.column_names_original;
  columns.forEach(([t, name], i) => {
    if (t >= 0) tables[t].columns.push(column(name, schema.column_types[i]));
  });
  for (const pk of schema.primary_keys) {
    const ids = Array.isArray(pk) ? pk : [pk];
    const table = tables[columns[ids[0]][0]];
    table.primaryKey = ids.map((i) => columns[i][1]);
    table.columns.forEach((c) => (c.primaryKey = table.primaryKey.includes(c.name)));
  }
  for (const [from, to] of schema.foreign_keys) {
    const [ft, fc] = columns[from];
    const [tt, tc] = columns[to];
    tables[ft].foreignKeys.push({
      name: `fk_${fc}`,
      columns: [fc],
      referencedSchema: null,
      referencedTable: tables[tt].name,
      referencedColumns: [tc],
    });
  }
  return tables.map((table) => ({ key: tableKey(table), table }));
}

/** Spider dev: 1,034 questions on 20 databases, schemas from tables.json, gold SQL for SQLite. */
export async function spiderSet(): Promise<LinkingSet> {
  const dir = join(FIXTURES, 'spider', 'dev');
  const schemas = new Map<string, LinkableTable[]>();
  for (const s of JSON.parse(readFileSync(join(dir, 'tables.json'), 'utf8')) as SpiderSchema[]) {
    schemas.set(s.db_id, spiderTables(s));
  }
  const asked = JSON.parse(readFileSync(join(dir, 'dev_questions.json'), 'utf8')) as Array<{
    db: string;
    question: string;
  }>;
  const gold = goldLines(join(dir, 'dev_gold.sql'));
  const questions: LinkingQuestion[] = [];
  for (const [i, q] of asked.entries()) {
    if (gold[i].db !== q.db) throw new Error(`Spider question ${i}: gold is for ${gold[i].db}, not ${q.db}`);
    const id = String(i);
    questions.push({
      id,
      db: q.db,
      text: q.question,
      gold: await goldTables(gold[i].sql, 'sqlite', schemas.get(q.db)!),
      split: splitOf('spider', id),
    });
  }
  return { name: 'Spider dev', dialect: 'sqlite', schemas, questions };
}

const unquote = (name: string) => name.replace(/^["`[](.*)["`\]]$/, '$1');

/**
 * One BIRD database from its annotated DDL: each table and column preceded by comment lines
 * (description, row count and primary key, value statistics, foreign keys in both directions).
 * Descriptions become comments; a foreign key is kept on the referencing side only.
 */
export function birdTables(sql: string): LinkableTable[] {
  const tables: TableInfo[] = [];
  let notes: string[] = [];
  let current: TableInfo | null = null;
  for (const raw of sql.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('--')) {
      notes.push(line.replace(/^--\s*/, ''));
      continue;
    }
    const create = /^CREATE TABLE\s+("[^"]+"|`[^`]+`|\S+)\s*\(/i.exec(line);
    if (create) {
      const pk = notes.map((n) => /primary key: \(([^)]*)\)/i.exec(n)).find(Boolean);
      current = {
        schema: null,
        name: unquote(create[1]),
        kind: 'table',
        comment: notes.filter((n) => !/^\d+ rows\b/.test(n)).join(' ') || null,
        rowEstimate: null,
        columns: [],
        primaryKey: pk ? pk[1].split(',').map((c) => unquote(c.trim())) : [],
        foreignKeys: [],
      };
    } else if (current && line.startsWith(')')) {
      current.columns.forEach((c) => (c.primaryKey = current!.primaryKey.includes(c.name)));
      tables.push(current);
      current = null;
    } else if (current) {
      const m = /^("[^"]+"|`[^`]+`|\S+)\s+(.*?),?$/.exec(line);
      if (m) {
        const name = unquote(m[1]);
        const described = notes.filter((n) => !/^(Stats|Foreign keys):/.test(n));
        current.columns.push(column(name, m[2], described.join(' ') || null));
        const fks = notes.find((n) => n.startsWith('Foreign keys:'));
        for (const ref of fks?.slice('Foreign keys:'.length).split(/,\s*(?=["\w`]+\.)/) ?? []) {
          const r = /^\s*("[^"]+"|`[^`]+`|\w+)\.("[^"]+"|`[^`]+`|\w+)\s*\(([^)]*)\)/.exec(ref);
          if (!r) continue;
          const referencing = r[3] === 'many-to-one' || (r[3] === 'one-to-one' && !current.primaryKey.includes(name));
          if (!referencing) continue;
          current.foreignKeys.push({
            name: `fk_${name}`,
            columns: [name],
            referencedSchema: null,
            referencedTable: unquote(r[1]),
            referencedColumns: [unquote(r[2])],
          });
        }
      }
    }
    notes = [];
  }
  return tables.map((table) => ({ key: tableKey(table), table }));
}

/** BIRD mini-dev: 500 questions with their evidence on 11 annotated schemas, gold SQL for PostgreSQL. */
export async function birdSet(): Promise<LinkingSet> {
  const dir = join(FIXTURES, 'bird-mini-dev');
  const schemas = new Map<string, LinkableTable[]>();
  const asked = JSON.parse(readFileSync(join(dir, 'mini_dev_questions.json'), 'utf8')) as Array<{
    id: number;
    db: string;
    question: string;
    evidence: string;
  }>;
  const gold = goldLines(join(dir, 'mini_dev_postgresql_gold.sql'));
  const questions: LinkingQuestion[] = [];
  for (const [i, q] of asked.entries()) {
    if (gold[i].db !== q.db) throw new Error(`BIRD question ${q.id}: gold is for ${gold[i].db}, not ${q.db}`);
    if (!schemas.has(q.db)) schemas.set(q.db, birdTables(readFileSync(join(dir, 'schemas', `${q.db}.sql`), 'utf8')));
    const id = String(q.id);
    questions.push({
      id,
      db: q.db,
      text: q.evidence ? `${q.question} ${q.evidence}` : q.question,
      gold: await goldTables(gold[i].sql, 'postgresql', schemas.get(q.db)!),
      split: splitOf('bird', id),
    });
  }
  return { name: 'BIRD mini-dev', dialect: 'postgresql', schemas, questions };
}

/**
 * defog: the 11 databases loaded into scratch PostgreSQL databases and introspected by the real
 * plugin, with defog's column descriptions as notes; the 210 questions of sql-eval, gold being
 * the first concrete query of each cell. The databases are dropped before this returns.
 */
export async function defogSet(): Promise<LinkingSet> {
  const env = testEnv();
  const connector = new PostgresqlConnector(env);
  const suffix = randomAlphanumeric(8).toLowerCase();
  const urls = new Map(
    DEFOG_DATABASES.map((db) => [db, `postgresql://postgres@127.0.0.1:5432/bench_link_${db}_${suffix}`]),
  );
  const schemas = new Map<string, LinkableTable[]>();
  try {
    for (const db of DEFOG_DATABASES) {
      await loadDefog(db, urls.get(db)!);
      schemas.set(db, await defogLinkableTables(connector, db, urls.get(db)!));
    }
  } finally {
    await connector.onModuleDestroy();
    await Promise.all([...urls.values()].map((url) => dropDatabase(url)));
  }
  const questions: LinkingQuestion[] = [];
  for (const [i, q] of defogQuestions().entries()) {
    const id = String(i);
    questions.push({
      id,
      db: q.db,
      text: q.question,
      gold: await goldTables(expandGold(q.gold)[0], 'postgresql', schemas.get(q.db)!),
      split: splitOf('defog', id),
    });
  }
  return { name: 'defog', dialect: 'postgresql', schemas, questions };
}
