import type { SqlDialect } from '@sluice/connectors';
import { loadPolyglot, polyglotDialect } from '@sluice/core';

export interface ExplainStep {
  title: string;
  body: string;
}

export interface Explanation {
  markdown: string;
  steps: ExplainStep[];
}

const list = (items: string[]) => [...new Set(items)].map((i) => `\`${i}\``).join(', ');

/**
 * An explanation built from the parsed SQL alone (no LLM): the tables it reads, how they are
 * joined, the filters, grouping, ordering and limit. So explain answers even without an LLM.
 */
export async function explainStructurally(sql: string, dialect: SqlDialect): Promise<Explanation> {
  const p = await loadPolyglot();
  const analysed = p.analyzeQuery(sql, { dialect: polyglotDialect(dialect) });
  const steps: ExplainStep[] = [];
  if (!analysed.success || !analysed.analysis) {
    const kind = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
    steps.push({ title: 'Statement', body: `A ${kind} statement that could not be broken down further.` });
  } else {
    const a = analysed.analysis;
    const tables = a.baseTables
      .filter((t) => t.kind === 'table')
      .map((t) => (t.schema ? `${t.schema}.${t.table ?? t.name}` : (t.table ?? t.name)));
    if (a.ctes.length) steps.push({ title: 'Named subqueries', body: `Builds ${list(a.ctes)} first (WITH).` });
    if (tables.length) steps.push({ title: 'Sources', body: `Reads ${list(tables)}.` });
    const uses = a.columnUses ?? [];
    const of = (context: string) => uses.filter((u) => u.context === context).map((u) => u.expressionSql);
    if (of('join').length) steps.push({ title: 'Joins', body: `Matches rows on ${list(of('join'))}.` });
    if (of('filter').length) steps.push({ title: 'Filters', body: `Keeps rows where ${list(of('filter'))}.` });
    if (of('group').length) steps.push({ title: 'Grouping', body: `Groups by ${list(of('group'))}.` });
    if (of('having').length) steps.push({ title: 'Group filter', body: `Keeps groups where ${list(of('having'))}.` });
    const columns = a.projections.map((pr) =>
      pr.isStar ? `${pr.starTable ? `${pr.starTable}.` : ''}*` : (pr.name ?? `column ${pr.index + 1}`),
    );
    if (columns.length) steps.push({ title: 'Result columns', body: `Returns ${list(columns)}.` });
    if (of('order').length) steps.push({ title: 'Ordering', body: `Sorts by ${list(of('order'))}.` });
    if (a.setOperations.length)
      steps.push({ title: 'Combination', body: 'Combines several queries (UNION, INTERSECT or EXCEPT).' });
  }
  const limit = trailingLimit(sql);
  if (limit) steps.push({ title: 'Limit', body: `Returns at most ${limit[1]} rows.` });
  const markdown = steps.map((s) => `**${s.title}.** ${s.body}`).join('\n\n');
  return { markdown, steps };
}

/**
 * The row count of a LIMIT ending the statement. Trailing blanks and `;` are cut first: a pattern
 * with `\s*` on both sides of an optional part backtracks quadratically on a long run of spaces.
 */
export function trailingLimit(sql: string): RegExpExecArray | null {
  const end = sql.trimEnd().replace(/;$/, '').trimEnd();
  return /\blimit\s+(\d+)(?:\s+offset\s+\d+)?$/i.exec(end.slice(-200));
}
