import { AstData, AstNode, identName, nodeData, nodeType } from './sql-ast';

/** Something a column can come from: a table, a CTE, a derived table, a table function. */
export interface Relation {
  /** The lower-case name a column is qualified with: the alias, else the table name. */
  name: string;
  /** The identifier as written, reused to qualify columns of a rewritten star. */
  qualifier: AstData | null;
  display: string;
  kind: 'table' | 'cte' | 'derived' | 'function';
  schema: string | null;
  tableName: string | null;
  /** Column names, when known. */
  columns: string[] | null;
  lower: Set<string> | null;
  /** Lower-case names this caller may not read (pii), known columns or not. */
  withheld: Set<string>;
}

export interface Scope {
  relations: Relation[];
  parent: Scope | null;
  ctes: Map<string, Relation>;
  /** Output names of the select list, which ORDER BY, GROUP BY and HAVING may use. */
  outputs: Set<string>;
}

export interface QueryOutput {
  columns: string[] | null;
  withheld: Set<string>;
}

const ident = (name: string): AstData => ({ name, quoted: true, trailing_comments: [] });
export const columnNode = (name: string, qualifier: AstData | null): AstNode => ({
  column: { name: ident(name), table: qualifier ? { ...qualifier } : null, join_mark: false, trailing_comments: [] },
});
export const SELECT_HANDLED = new Set([
  'expressions',
  'from',
  'joins',
  'with',
  'into',
  'locks',
  'hint',
  'leading_comments',
]);

export const noOutput = (): QueryOutput => ({ columns: null, withheld: new Set() });

export function makeRelation(
  display: string,
  qualifier: AstData | null,
  kind: Relation['kind'],
  columns: string[] | null,
  withheld: Set<string>,
  table?: { schema: string | null; name: string },
): Relation {
  return {
    name: display.toLowerCase(),
    qualifier,
    display,
    kind,
    schema: table?.schema?.toLowerCase() ?? null,
    tableName: table?.name.toLowerCase() ?? null,
    columns,
    lower: columns ? new Set(columns.map((c) => c.toLowerCase())) : null,
    withheld,
  };
}

/** The relation a qualifier names, innermost scope first. */
export function findRelation(qualifier: string, scope: Scope | null): Relation | null {
  const q = qualifier.toLowerCase();
  for (let s = scope; s; s = s.parent) {
    const found = s.relations.find((r) => r.name === q);
    if (found) return found;
  }
  return null;
}

/** Every relation in scope, innermost first. */
export function relationsInScope(scope: Scope | null): Relation[] {
  const all: Relation[] = [];
  for (let s = scope; s; s = s.parent) all.push(...s.relations);
  return all;
}

/** The columns of a relation this caller may see. */
export const visibleColumns = (rel: Relation): string[] =>
  (rel.columns ?? []).filter((c) => !rel.withheld.has(c.toLowerCase()));

/** "customer (email, phone)" for messages. */
export const describeWithheld = (rels: Relation[]): string =>
  rels.map((r) => `${r.display} (${[...r.withheld].join(', ')})`).join(', ');

/**
 * The select-list items a star stands for when some relation under it has withheld columns:
 * `t.*` for the others, the visible columns of those (qualified). Null when that cannot be
 * written (columns unknown, or no name to qualify them with).
 */
export function expandStar(
  data: AstData,
  rels: Relation[],
  node: AstNode,
): { nodes: AstNode[]; hiding: Relation[] } | null {
  const hiding = rels.filter((r) => r.withheld.size);
  if (!hiding.length) return { nodes: [node], hiding };
  const nodes: AstNode[] = [];
  for (const rel of rels) {
    if (!rel.withheld.size && rel.qualifier) nodes.push({ star: { ...data, table: { ...rel.qualifier } } });
    else if (rel.columns && (rel.qualifier || rels.length === 1)) {
      nodes.push(...visibleColumns(rel).map((c) => columnNode(c, rel.qualifier)));
    } else return null;
  }
  return { nodes, hiding };
}

/** The output column names of a select when every one is known; `removed` were left out of stars. */
export function outputOf(expressions: AstNode[], scope: Scope, removed: Set<string>): QueryOutput {
  const names: string[] = [];
  for (const e of expressions) {
    const type = nodeType(e);
    const data = nodeData(e);
    if (type === 'alias') names.push(identName(data.alias));
    else if (type === 'column') names.push(identName(data.name));
    else if (type === 'dot') names.push(identName(data.field));
    else if (type === 'star') {
      const q = identName(data.table);
      const rels = q ? [findRelation(q, scope)] : scope.relations;
      if (rels.some((r) => !r?.columns)) return { columns: null, withheld: removed };
      rels.forEach((r) => names.push(...r!.columns!));
    } else return { columns: null, withheld: removed };
  }
  return { columns: names, withheld: removed };
}
