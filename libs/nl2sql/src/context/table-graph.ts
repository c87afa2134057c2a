import type { ForeignKeyInfo } from '@sluice/connectors';
import type { LinkableTable } from './linkable-table';
import { canonicalWord, nameTerms } from './schema-words';

/** How two tables are known to join. */
export type EdgeKind = 'foreign key' | 'inferred';

/** Last words that mark a column as a reference to another row (`airline_code`, `course_id`). */
const KEY_SUFFIXES = new Set(['id', 'code', 'key', 'number', 'no'].map(canonicalWord));

/**
 * The table key a foreign key points at, among `tables`: the same name (without case) in the same
 * schema, where both sides know one. Null when the target is not among them or is ambiguous.
 */
export function foreignKeyResolver(
  tables: LinkableTable[],
): (fk: Pick<ForeignKeyInfo, 'referencedSchema' | 'referencedTable'>) => string | null {
  const byName = new Map<string, LinkableTable[]>();
  for (const entry of tables) {
    const name = entry.table.name.toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), entry]);
  }
  return (fk) => {
    const schema = fk.referencedSchema?.toLowerCase() ?? null;
    const candidates = (byName.get(fk.referencedTable.toLowerCase()) ?? []).filter(
      (e) => schema === null || e.table.schema === null || e.table.schema.toLowerCase() === schema,
    );
    if (candidates.length === 1) return candidates[0].key;
    const exact = candidates.filter((e) => (e.table.schema?.toLowerCase() ?? null) === schema);
    return exact.length === 1 ? exact[0].key : null;
  };
}

/**
 * The words naming what a reference column points at: `course_id` → course, `airline_code` →
 * airline, and where case was folded away `paperid` → paper and `aid` → a (which names no table,
 * but still joins the other tables carrying `aid`). Null for columns that do not look like one.
 */
function referencePrefix(column: string): string[] | null {
  const words = nameTerms(column);
  if (words.length >= 2 && KEY_SUFFIXES.has(words[words.length - 1])) return words.slice(0, -1);
  const folded = /^(\p{L}+)id$/u.exec(column.toLowerCase());
  return words.length === 1 && folded ? nameTerms(folded[1]) : null;
}

const endsWith = (words: string[], tail: string[]) =>
  tail.length > 0 && tail.length <= words.length && tail.every((w, i) => words[words.length - tail.length + i] === w);

/**
 * Which tables join which: declared foreign keys, and, because many schemas declare none, joins
 * inferred from names. A column `<x>_id` (or `_code`, `_key`, `_number`, `_no`, or `<x>id` with
 * case folded away) joins the table named `<x>`, or failing that those whose names end in `<x>`
 * (`offering_id` → course_offering); two tables that carry the same such column join on it; and
 * a column named like another table's one-column primary key joins that table.
 */
export class TableGraph {
  /** Edges of references (declared, by prefix, by primary-key name), both ways. */
  private readonly edges = new Map<string, Map<string, EdgeKind>>();
  /**
   * The groups of tables carrying the same reference column, per table. Every two tables of a
   * group join, but the pairs are not stored: a column such as `parent_id` on 2,000 tables would
   * be four million edges. Neighbours are put together when asked, and kept.
   */
  private readonly groups = new Map<string, Array<Set<string>>>();
  private readonly joined = new Map<string, ReadonlyMap<string, EdgeKind>>();
  private readonly junctions = new Set<string>();

  constructor(tables: LinkableTable[]) {
    for (const t of tables) this.edges.set(t.key, new Map());
    const resolve = foreignKeyResolver(tables);
    const names = tables.map((t) => ({ key: t.key, words: nameTerms(t.table.name) }));
    // A name ends in a prefix only if it ends in the prefix's last word: looked up by that word.
    const byLastWord = new Map<string, typeof names>();
    for (const n of names) {
      const last = n.words[n.words.length - 1];
      if (last === undefined) continue;
      const list = byLastWord.get(last);
      if (list) list.push(n);
      else byLastWord.set(last, [n]);
    }
    const sharers = new Map<string, string[]>();
    const primaryKeys = new Map<string, string[]>();
    for (const t of tables) {
      if (t.table.primaryKey.length !== 1) continue;
      const pk = t.table.primaryKey[0].toLowerCase();
      if (nameTerms(pk).length < 2 && KEY_SUFFIXES.has(canonicalWord(pk))) continue; // a bare `id` says nothing
      primaryKeys.set(pk, [...(primaryKeys.get(pk) ?? []), t.key]);
    }

    for (const t of tables) {
      const keyColumns = new Set<string>();
      const targets = new Set<string>();
      const refer = (column: string, to: string, kind: EdgeKind) => {
        if (to === t.key) return;
        keyColumns.add(column);
        targets.add(to);
        this.connect(t.key, to, kind);
      };
      for (const fk of t.table.foreignKeys) {
        const to = resolve(fk);
        if (to) fk.columns.forEach((c) => refer(c, to, 'foreign key'));
      }
      for (const column of t.table.columns) {
        const lower = column.name.toLowerCase();
        primaryKeys.get(lower)?.forEach((to) => refer(column.name, to, 'inferred'));
        const prefix = referencePrefix(column.name);
        if (!prefix) continue;
        // The table of that very name if there is one (`track_id` is track's, not playlist_track's).
        const ending = (byLastWord.get(prefix[prefix.length - 1]) ?? []).filter((n) => endsWith(n.words, prefix));
        const exact = ending.filter((n) => n.words.length === prefix.length);
        (exact.length ? exact : ending).forEach((n) => refer(column.name, n.key, 'inferred'));
        const sharing = sharers.get(lower);
        if (sharing) sharing.push(t.key);
        else sharers.set(lower, [t.key]);
      }
      // A junction table is mostly references, to two tables or more (playlist_track, flight_fare).
      const columns = t.table.columns.length;
      if (targets.size >= 2 && keyColumns.size * 2 >= columns) this.junctions.add(t.key);
    }
    for (const keys of sharers.values()) {
      const group = new Set(keys);
      if (group.size < 2) continue;
      for (const key of group) {
        const of = this.groups.get(key);
        if (of) of.push(group);
        else this.groups.set(key, [group]);
      }
    }
  }

  private connect(a: string, b: string, kind: EdgeKind): void {
    if (a === b) return;
    this.link(a, b, kind);
    this.link(b, a, kind);
  }

  private link(from: string, to: string, kind: EdgeKind): void {
    const edges = this.edges.get(from)!;
    if (edges.get(to) !== 'foreign key') edges.set(to, kind);
  }

  /** The tables joining this one and how: references first, then those sharing a column with it (inferred). */
  neighbours(key: string): ReadonlyMap<string, EdgeKind> {
    const known = this.joined.get(key);
    if (known) return known;
    const edges = this.edges.get(key);
    if (!edges) return new Map();
    const groups = this.groups.get(key);
    if (!groups) return edges;
    const all = new Map(edges);
    for (const group of groups) {
      for (const other of group) if (other !== key && !all.has(other)) all.set(other, 'inferred');
    }
    this.joined.set(key, all);
    return all;
  }

  adjacent(a: string, b: string): boolean {
    if (a === b || !this.edges.has(b)) return this.edges.get(a)?.has(b) ?? false;
    return (this.edges.get(a)?.has(b) ?? false) || (this.groups.get(a)?.some((g) => g.has(b)) ?? false);
  }

  isJunction(key: string): boolean {
    return this.junctions.has(key);
  }
}
