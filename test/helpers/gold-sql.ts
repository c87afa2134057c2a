import type { TableInfo } from '@sluice/connectors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableInfo } from './table-info';

const FIXTURES = join(__dirname, '..', 'fixtures');

export interface Gold {
  sql: string;
  db: string;
}

/** A gold file of Spider or BIRD: `<sql>\t<db>` per line. */
export function goldFile(path: string): Gold[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const tab = line.lastIndexOf('\t');
      return { sql: line.slice(0, tab).trim(), db: line.slice(tab + 1).trim() };
    });
}

const unquote = (name: string) => name.replace(/^["`[](.*)["`\]]$/, '$1');

/** Tables and columns of BIRD mini-dev's annotated DDL (comment lines between the columns). */
export function birdSchema(db: string, schema: string | null): { tables: TableInfo[] } {
  const tables: TableInfo[] = [];
  let current: { name: string; columns: string[] } | null = null;
  for (const raw of readFileSync(join(FIXTURES, 'bird-mini-dev', 'schemas', `${db}.sql`), 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('--')) continue;
    const create = /^CREATE TABLE\s+("[^"]+"|`[^`]+`|\S+)\s*\(/i.exec(line);
    if (create) current = { name: unquote(create[1]), columns: [] };
    else if (current && line.startsWith(')')) {
      tables.push(tableInfo(schema, current.name, current.columns));
      current = null;
    } else if (current) {
      const column = /^("[^"]+"|`[^`]+`|\[[^\]]+\]|\S+)/.exec(line);
      if (column && !/^(PRIMARY|FOREIGN|UNIQUE|CONSTRAINT|CHECK)\b/i.test(line))
        current.columns.push(unquote(column[1]));
    }
  }
  return { tables };
}
