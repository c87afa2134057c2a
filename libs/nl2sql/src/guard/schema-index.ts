import type { SqlDialect, TableInfo } from '@sluice/core';
import { postgresLike } from '../sql-dialects';

const LISTED_AT_MOST = 30;

/** Edit distance, for "did you mean" hints in messages sent back to the LLM. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** "a, b, c" (at most 30, closest to `wanted` first) and a suggestion when one is close. */
export function listNames(names: string[], wanted: string): string {
  const w = wanted.toLowerCase();
  const close = names
    .map((n) => ({ n, d: distance(n.toLowerCase(), w) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(w.length / 3)) || x.n.toLowerCase().includes(w))
    .sort((a, b) => a.d - b.d);
  const shown = names.slice(0, LISTED_AT_MOST).join(', ') + (names.length > LISTED_AT_MOST ? ', ...' : '');
  return close.length ? `${shown} (did you mean "${close[0].n}"?)` : shown;
}

/** The key annotations use for a table: `schema.table`, or the bare name without schemas. */
export const tableKeyOf = (t: Pick<TableInfo, 'schema' | 'name'>) => (t.schema ? `${t.schema}.${t.name}` : t.name);

export type TableLookup = { table: TableInfo } | { error: string };

/**
 * The cached schema, looked up case-insensitively. A bare name means a table of the default
 * schema (public for PostgreSQL when it has tables, else the only schema; MySQL's database);
 * a table elsewhere must be qualified.
 */
export class SchemaIndex {
  private readonly byName = new Map<string, TableInfo[]>();
  private readonly defaults = new Set<string>();

  constructor(
    readonly tables: TableInfo[],
    private readonly dialect: SqlDialect,
  ) {
    for (const t of tables) {
      const key = t.name.toLowerCase();
      this.byName.set(key, [...(this.byName.get(key) ?? []), t]);
    }
    const schemas = new Set(tables.map((t) => t.schema?.toLowerCase() ?? ''));
    if (schemas.has('public')) this.defaults.add('public');
    else if (schemas.size === 1) schemas.forEach((s) => this.defaults.add(s));
    else if (!postgresLike(dialect)) schemas.forEach((s) => this.defaults.add(s));
    this.defaults.add('');
  }

  lookup(schema: string | null, name: string): TableLookup {
    const candidates = this.byName.get(name.toLowerCase()) ?? [];
    const written = schema ? `${schema}.${name}` : name;
    if (schema) {
      const s = schema.toLowerCase();
      // SQLite's main and temp are the only qualifiers its (schema-less) tables answer to.
      const found = candidates.find(
        (t) => t.schema?.toLowerCase() === s || (t.schema === null && (s === 'main' || s === 'temp')),
      );
      if (found) return { table: found };
    } else {
      const found = candidates.filter((t) => this.defaults.has(t.schema?.toLowerCase() ?? ''));
      if (found.length) return { table: found[0] };
      if (candidates.length) {
        const where = candidates.map((t) => `${t.schema}.${t.name}`).join(', ');
        return { error: `Table "${name}" is not in the default schema; qualify it: ${where}` };
      }
    }
    const all = this.tables.map((t) =>
      t.schema && !this.defaults.has(t.schema.toLowerCase()) ? tableKeyOf(t) : t.name,
    );
    return { error: `Unknown table "${written}"; known tables: ${listNames(all, name)}` };
  }
}

/** Withheld columns by table, matched the way tables are written or resolved. */
export class PiiIndex {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byName = new Map<string, Set<string>>();

  constructor(entries: Array<{ table: string; column: string }>) {
    for (const { table, column } of entries) {
      const key = table.toLowerCase();
      const name = key.split('.').pop()!;
      const add = (map: Map<string, Set<string>>, k: string) =>
        map.set(k, (map.get(k) ?? new Set()).add(column.toLowerCase()));
      add(this.byKey, key);
      add(this.byName, name);
    }
  }

  get empty(): boolean {
    return this.byKey.size === 0;
  }

  /**
   * Withheld columns of a table, lower-cased. Resolved through the schema, the key must match;
   * without it (no schema, or an unknown table) any table of that name counts: refusing too
   * much beats leaking.
   */
  columnsOf(resolved: TableInfo | null, schema: string | null, name: string): Set<string> {
    if (resolved) {
      const exact = this.byKey.get(tableKeyOf(resolved).toLowerCase());
      const bare = this.byKey.get(resolved.name.toLowerCase());
      return new Set([...(exact ?? []), ...(bare ?? [])]);
    }
    if (schema) {
      const exact = this.byKey.get(`${schema}.${name}`.toLowerCase());
      const bare = this.byKey.get(name.toLowerCase());
      if (exact || bare) return new Set([...(exact ?? []), ...(bare ?? [])]);
    }
    return new Set(this.byName.get(name.toLowerCase()) ?? []);
  }
}
