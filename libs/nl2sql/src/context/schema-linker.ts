import type { SqlDialect } from '@sluice/connectors';
import { estimateTokens, renderDdl, renderTableDdl } from './prompt-ddl';
import { RankedTable, rankTables } from './table-ranker';
import { EdgeKind, TableGraph } from './table-graph';
import type { LinkableTable } from './linkable-table';

export type { LinkableTable } from './linkable-table';

export interface LinkOptions {
  /** Most tokens (by estimateTokens) the rendered DDL may take. */
  tokenBudget: number;
  /** Keys of the tables the retrieved examples use: they go in first, budget allowing. */
  requiredTables?: string[];
  /** The DDL flavour; PostgreSQL when omitted. */
  dialect?: SqlDialect;
  /**
   * Whether budget left after the relevant tables (and what joins them) goes to their other
   * neighbours and then to weaker matches, as a prompt usually wants. False gives the smallest
   * schema that answers: no filling, not even when the whole schema would fit (and only the
   * required tables when nothing matches the question at all). Default true.
   */
  fillBudget?: boolean;
}

export interface LinkedSchema {
  /** The chosen tables, in the order they were given (stable prompts, whatever the question). */
  tables: LinkableTable[];
  ddl: string;
  /** estimateTokens(ddl), never above the budget. */
  tokens: number;
  /** Every table, best first: its lexical score, and why it was chosen or left out. */
  scores: Array<{ key: string; score: number; reason: string }>;
}

/** Tables scoring at least this share of the best one are relevant; weaker ones only fill. */
const RELEVANT_SHARE = 0.2;

/**
 * Chooses the tables a question needs within a token budget.
 *
 * Every table gets a lexical score against the question (see rankTables). The tables then go in
 * by priority, each only if it still fits: the required ones (those the retrieved examples use);
 * the relevant ones best first (a fifth of the best score or more), each followed by the table
 * that bridges it to one already in when the two do not join directly (a foreign key, declared or
 * inferred, to both); junction tables next to the best table that match the question too; then,
 * when filling, the neighbours of what is in (declared foreign keys first) and the rest by score
 * until the budget is spent. When the whole schema fits, it all goes in. Ties break on trained
 * first, then the input order, so the outcome depends on nothing but the arguments.
 */
export function linkSchema(question: string, tables: LinkableTable[], options: LinkOptions): LinkedSchema {
  const dialect = options.dialect ?? 'postgresql';
  const fill = options.fillBudget ?? true;
  const ranked = rankTables(question, tables).sort(
    (a, b) => b.score - a.score || Number(!!b.entry.trained) - Number(!!a.entry.trained) || a.index - b.index,
  );
  const cost = costsOf(tables, dialect);
  const picks = new Picks(cost, new Map(ranked.map((r, i) => [keyOf(r), i])), options.tokenBudget);

  const everything = tables.reduce((sum, t) => sum + cost.get(t.key)!, 0);
  if (fill && everything <= options.tokenBudget) {
    tables.forEach((t) => picks.take(t.key, 'whole schema fits the budget'));
  } else {
    pickByPriority(picks, tables, ranked, options.requiredTables ?? [], fill);
  }

  const linked = tables.filter((t) => picks.chosen.has(t.key));
  const ddl = renderDdl(linked, dialect);
  return {
    tables: linked,
    ddl,
    tokens: estimateTokens(ddl),
    scores: ranked.map((r) => {
      const key = keyOf(r);
      const why =
        picks.chosen.get(key) ?? picks.refused.get(key) ?? (fill ? 'left out: budget spent' : 'left out: not relevant');
      const matched = r.matched.length ? `; matched ${r.matched.join(' ')}` : '';
      return { key, score: Math.round(r.score * 1000) / 1000, reason: `${why}${matched}` };
    }),
  };
}

/**
 * What a table list costs and how its tables join do not depend on the question: on a large
 * schema they are most of a question's work, so they are kept per list. QuestionContextService
 * hands the same list to every question until the schema, its annotations or the trained tables
 * change; lists are never changed in place, and one no longer referenced is collected.
 */
const costs = new WeakMap<LinkableTable[], Map<SqlDialect, Map<string, number>>>();
const graphs = new WeakMap<LinkableTable[], TableGraph>();

/** Each table's share of the prompt: its DDL with every foreign key, and the blank line after it. */
function costsOf(tables: LinkableTable[], dialect: SqlDialect): Map<string, number> {
  const byDialect = costs.get(tables) ?? new Map<SqlDialect, Map<string, number>>();
  costs.set(tables, byDialect);
  let cost = byDialect.get(dialect);
  if (!cost) {
    cost = new Map(tables.map((t) => [t.key, estimateTokens(renderTableDdl(t, { dialect })) + 1]));
    byDialect.set(dialect, cost);
  }
  return cost;
}

function graphOf(tables: LinkableTable[]): TableGraph {
  let graph = graphs.get(tables);
  if (!graph) {
    graph = new TableGraph(tables);
    graphs.set(tables, graph);
  }
  return graph;
}

/** The tables taken so far within the budget, each with why; and why those left out did not fit. */
class Picks {
  readonly chosen = new Map<string, string>();
  readonly refused = new Map<string, string>();
  private spent = 0;

  constructor(
    private readonly cost: Map<string, number>,
    /** Rank of each table, best first. */
    readonly position: Map<string, number>,
    private readonly budget: number,
  ) {}

  /** Takes the table if it is known, not yet in, and fits; true when it went in. */
  take(key: string, why: string): boolean {
    if (this.chosen.has(key) || !this.position.has(key)) return false;
    if (this.spent + this.cost.get(key)! > this.budget) {
      if (!this.refused.has(key)) this.refused.set(key, `left out (${why}): ${this.cost.get(key)} tokens do not fit`);
      return false;
    }
    this.spent += this.cost.get(key)!;
    this.chosen.set(key, why);
    return true;
  }
}

/**
 * The tables in order of priority when not all of them go in: required, relevant (each with
 * the table bridging it to those already in), junctions next to the best, then (filling) the
 * neighbours and the rest by score.
 */
function pickByPriority(
  picks: Picks,
  tables: LinkableTable[],
  ranked: RankedTable[],
  required: string[],
  fill: boolean,
): void {
  const { position, chosen } = picks;
  const graph = graphOf(tables);
  const byRank = (a: string, b: string) => position.get(a)! - position.get(b)!;
  const around = (key: string) => [...graph.neighbours(key).keys()].sort(byRank);
  const bridge = (key: string) => {
    for (const other of [...chosen.keys()].filter((k) => k !== key && !graph.adjacent(k, key))) {
      const via = around(key).find((b) => !chosen.has(b) && graph.adjacent(b, other));
      if (via) picks.take(via, `joins ${key} to ${other}`);
    }
  };

  for (const key of required) {
    const found = position.has(key) ? key : tables.find((t) => t.key.toLowerCase() === key.toLowerCase())?.key;
    if (found) picks.take(found, 'used by a retrieved example');
  }
  const best = ranked[0]?.score ?? 0;
  const relevant = ranked.filter((x) => x.score > 0 && x.score >= RELEVANT_SHARE * best).map(keyOf);
  for (const key of relevant) {
    if (picks.take(key, 'relevant')) bridge(key);
  }
  if (best > 0) {
    const anchor = keyOf(ranked[0]);
    around(anchor)
      .filter((k) => graph.isJunction(k) && ranked[position.get(k)!].score > 0)
      .forEach((k) => picks.take(k, `junction table next to ${anchor}`));
  }
  if (fill) fillAround(picks, graph, ranked, relevant);
}

/** Relevant tables that did not fit whose neighbours still fill the budget first. */
const MISSED_ANCHORS = 3;

/**
 * Budget left goes to the foreign-key neighbours, then inferred ones, then the rest by score.
 * Neighbours of the relevant tables that did not fit count too: the question is still about
 * them, and what they join (the airports of flights) is the next best thing to show. Only the
 * best few: on a large schema hundreds may be relevant, and each brings all its neighbours.
 */
function fillAround(picks: Picks, graph: TableGraph, ranked: RankedTable[], relevant: string[]): void {
  const missed = relevant.filter((k) => !picks.chosen.has(k)).slice(0, MISSED_ANCHORS);
  const anchors = new Set([...picks.chosen.keys(), ...missed]);
  // One pass over the anchors' edges, not one per table: the fill stays linear in the schema.
  const near = (kind?: EdgeKind) => {
    const found = new Set<string>();
    for (const anchor of anchors) {
      for (const [key, edge] of graph.neighbours(anchor)) if (!kind || edge === kind) found.add(key);
    }
    return ranked.map(keyOf).filter((k) => found.has(k));
  };
  near('foreign key').forEach((k) => picks.take(k, 'foreign-key neighbour'));
  near().forEach((k) => picks.take(k, 'joins a linked table (inferred)'));
  ranked.forEach((r) => picks.take(keyOf(r), r.score > 0 ? 'weaker match, budget left' : 'budget left'));
}

const keyOf = (r: RankedTable) => r.entry.key;
