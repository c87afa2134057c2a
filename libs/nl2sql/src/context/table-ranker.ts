import type { LinkableTable } from './linkable-table';
import { canonicalWord, linkTerms, plainWords, splitIdentifier } from './schema-words';

/** Weight of a term by where a table carries it: its name says most, sample values least. */
const WEIGHTS = {
  name: 3,
  column: 1.5,
  description: 1,
  tags: 1,
  context: 0.75,
  columnText: 0.5,
  value: 0.5,
} as const;
type Field = keyof typeof WEIGHTS;

/**
 * Words that say what to compute rather than what data to read ("the total number of", "the
 * highest average"). They still match (`total_credit` is a column), at this fraction of their idf.
 */
const OPERATION_WORDS = new Set(
  (
    'number count total sum average mean median maximum minimum max min highest lowest most least top bottom ' +
    'ratio percentage percent proportion distinct unique overall greater fewer larger smaller largest smallest'
  )
    .split(' ')
    .map(canonicalWord),
);
const OPERATION_WEIGHT = 0.3;

/** BM25 saturation; length normalisation kept low, since a wide table is no less relevant. */
const K1 = 1.2;
const B = 0.3;
/**
 * A word found inside an unsplittable name ("sbcustomer", which PostgreSQL folded from
 * sbCustomer) or a name word inside a question word ("stop" in "stopover") counts this much of a
 * whole-word match. Only words of 4 letters or more, inside ones at least 2 longer, and only in
 * names that are not themselves words of the schema's prose or the question ("capacity" is a
 * word, so "city" is not found in it). A question stem of 5 letters or more that begins a longer
 * name word matches too, whatever the prose: the stemmer leaves "weigh" and "weight" apart.
 */
const PARTIAL = 0.5;
const PARTIAL_MIN = 4;
const PREFIX_MIN = 5;
/** Bonuses, in units of idf: every word of the table's name asked, every word of a column's. */
const NAME_BONUS = 1;
const COLUMN_BONUS = 0.5;
/** A sample value named in the question weighs like this many of the rarest words. */
const VALUE_BONUS = 1.5;
const TRAINED_BOOST = 1.25;
/**
 * A year in the question ("cars made in 1980") points at a column of years even when no word
 * names one: it asks for the term `year` too.
 */
const YEAR_LITERAL = /\b(1[89]|20)\d\d\b/;
const YEAR = canonicalWord('year');

export interface RankedTable {
  entry: LinkableTable;
  /** Position in the input, the last tie-breaker. */
  index: number;
  /** Higher is more relevant; 0 is no match at all. Comparable within one call only. */
  score: number;
  /** What matched, for the `reason` of a linked schema. */
  matched: string[];
}

interface TableDoc {
  entry: LinkableTable;
  index: number;
  tf: Map<string, number>;
  field: Map<string, Field>;
  length: number;
  nameWords: string[];
  columnWords: Array<{ name: string; words: string[] }>;
  /** Raw (unstemmed) words of the table and column names, for partial matches. */
  identifiers: Array<{ word: string; field: 'name' | 'column' }>;
  /** Raw words of the descriptions, tags and context. */
  prose: string[];
  values: Array<{ column: string; value: string; words: string[] }>;
}

function buildDoc(entry: LinkableTable, index: number): TableDoc {
  const tf = new Map<string, number>();
  const field = new Map<string, Field>();
  let length = 0;
  const add = (terms: string[], f: Field) => {
    for (const term of terms) {
      tf.set(term, (tf.get(term) ?? 0) + WEIGHTS[f]);
      const seen = field.get(term);
      if (!seen || WEIGHTS[seen] < WEIGHTS[f]) field.set(term, f);
      length += WEIGHTS[f];
    }
  };
  const { table } = entry;
  add(linkTerms(table.name), 'name');
  add(linkTerms(entry.description ?? table.comment ?? ''), 'description');
  (entry.tags ?? []).forEach((tag) => add(linkTerms(tag), 'tags'));
  add(linkTerms(entry.context ?? ''), 'context');
  const values: TableDoc['values'] = [];
  const texts = [entry.description ?? table.comment ?? '', ...(entry.tags ?? []), entry.context ?? ''];
  for (const column of table.columns) {
    add(linkTerms(column.name), 'column');
    const note = entry.columnNotes?.[column.name];
    texts.push(note?.description ?? column.comment ?? '', ...(note?.tags ?? []), note?.context ?? '');
    add(linkTerms(note?.description ?? column.comment ?? ''), 'columnText');
    (note?.tags ?? []).forEach((tag) => add(linkTerms(tag), 'columnText'));
    add(linkTerms(note?.context ?? ''), 'columnText');
    for (const value of entry.sampleValues?.[column.name] ?? []) {
      add(linkTerms(value), 'value');
      const words = plainWords(value);
      // Numbers and single letters are everywhere in questions: only wordy values count as named.
      if (/\p{L}{2}/u.test(value) && words.length > 0) values.push({ column: column.name, value, words });
    }
  }
  const identifiers = [
    ...splitIdentifier(table.name).map((word) => ({ word, field: 'name' as const })),
    ...table.columns.flatMap((c) => splitIdentifier(c.name).map((word) => ({ word, field: 'column' as const }))),
  ].filter((i) => i.word.length >= PARTIAL_MIN && /^\p{L}+$/u.test(i.word));
  return {
    entry,
    index,
    tf,
    field,
    length,
    nameWords: linkTerms(table.name),
    columnWords: table.columns.map((c) => ({ name: c.name, words: linkTerms(c.name) })),
    identifiers,
    prose: texts.flatMap((t) => splitIdentifier(t)),
    values,
  };
}

/** Weighted frequency of a question term in a table, whole-word or (failing that) partial. */
function termFrequency(
  doc: TableDoc,
  term: string,
  words: { has(word: string): boolean },
): { tf: number; field: string } | null {
  const whole = doc.tf.get(term);
  if (whole) return { tf: whole, field: doc.field.get(term)! };
  if (term.length < PARTIAL_MIN) return null;
  let tf = 0;
  let field: 'name' | 'column' | undefined;
  for (const { word, field: f } of doc.identifiers) {
    const inside =
      (word.length >= term.length + 2 && !words.has(word) && word.includes(term)) ||
      (term.length >= word.length + 2 && term.includes(word)) ||
      (term.length >= PREFIX_MIN && word.length > term.length && word.startsWith(term));
    if (!inside) continue;
    tf += PARTIAL * WEIGHTS[f];
    if (!field || f === 'name') field = f;
  }
  return field ? { tf, field: `${field}~` } : null;
}

const containsRun = (haystack: string[], needle: string[]) => {
  for (let i = 0; i + needle.length <= haystack.length; i++) {
    if (needle.every((w, j) => haystack[i + j] === w)) return true;
  }
  return false;
};

/** What ranking needs of a table list whatever the question: each table's document and corpus-wide counts. */
interface Corpus {
  docs: TableDoc[];
  /** Every word of the tables' prose (descriptions, tags, context). */
  prose: ReadonlySet<string>;
  /** In how many tables' names each name word appears. */
  nameDf: ReadonlyMap<string, number>;
  avgLength: number;
}

/**
 * Built once per table list: splitting and stemming every name and comment is most of the work on
 * a large schema, and QuestionContextService hands the same list (the same objects) to every
 * question until the schema, its annotations or the trained tables change. Lists are never
 * changed in place, so the list itself is the key; a list no longer referenced is collected.
 */
const corpora = new WeakMap<LinkableTable[], Corpus>();

function corpusOf(tables: LinkableTable[]): Corpus {
  let corpus = corpora.get(tables);
  if (corpus) return corpus;
  const docs = tables.map(buildDoc);
  const nameDf = new Map<string, number>();
  for (const doc of docs) for (const w of new Set(doc.nameWords)) nameDf.set(w, (nameDf.get(w) ?? 0) + 1);
  corpus = {
    docs,
    prose: new Set(docs.flatMap((d) => d.prose)),
    nameDf,
    avgLength: docs.reduce((sum, d) => sum + d.length, 0) / Math.max(1, docs.length),
  };
  corpora.set(tables, corpus);
  return corpus;
}

const idfOf = (n: number, df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));

/**
 * Lexical relevance of every table to a question: BM25 over one document per table whose fields
 * weigh differently (name, column names, descriptions, tags, context, sample values), plus
 * bonuses when the question names the whole table (idf over table names, so a name that also
 * appears as `<name>_id` everywhere still counts), a whole multi-word column, or a sample value.
 * Trained tables get a boost. In input order.
 */
export function rankTables(question: string, tables: LinkableTable[]): RankedTable[] {
  const { docs, prose, nameDf, avgLength } = corpusOf(tables);
  const terms = [...new Set(linkTerms(question))];
  const questionWords = plainWords(question);
  if (YEAR_LITERAL.test(question) && !terms.includes(YEAR)) terms.push(YEAR);
  const n = docs.length;
  const asWords = new Set(splitIdentifier(question));
  const words = { has: (word: string) => prose.has(word) || asWords.has(word) };
  const frequencies = docs.map((doc) => new Map(terms.map((t) => [t, termFrequency(doc, t, words)])));
  const df = new Map(terms.map((t) => [t, frequencies.filter((f) => f.get(t)).length]));
  const idf = (term: string) => idfOf(n, df.get(term) ?? 0) * (OPERATION_WORDS.has(term) ? OPERATION_WEIGHT : 1);
  const rarest = idfOf(n, 0);
  const asked = new Set(terms);
  const covered = (words: string[]) => words.length > 0 && words.every((w) => asked.has(w));
  const idfSum = (words: string[], of: (w: string) => number) => [...new Set(words)].reduce((s, w) => s + of(w), 0);

  return docs.map((doc, i) => {
    let score = 0;
    const byField = new Map<string, string[]>();
    const norm = 1 - B + B * (avgLength ? doc.length / avgLength : 0);
    for (const term of terms) {
      const found = frequencies[i].get(term);
      if (!found) continue;
      score += (idf(term) * found.tf * (K1 + 1)) / (found.tf + K1 * norm);
      byField.set(found.field, [...(byField.get(found.field) ?? []), term]);
    }
    const matched = [...byField].map(([where, words]) => `${where}(${words.join(', ')})`);
    if (covered(doc.nameWords)) {
      score += NAME_BONUS * idfSum(doc.nameWords, (w) => idfOf(n, nameDf.get(w) ?? 0));
      matched.push('whole-name');
    }
    const columns = doc.columnWords.filter((c) => c.words.length > 1 && covered(c.words));
    if (columns.length) {
      score += COLUMN_BONUS * Math.max(...columns.map((c) => idfSum(c.words, idf)));
      matched.push(`whole-column(${columns.map((c) => c.name).join(', ')})`);
    }
    const named = doc.values.filter((v) => containsRun(questionWords, v.words));
    const namedValues = new Set(named.map((v) => v.value));
    if (namedValues.size) {
      score += VALUE_BONUS * rarest * Math.min(2, namedValues.size);
      matched.push(`value(${named.map((v) => `${v.column}='${v.value}'`).join(', ')})`);
    }
    if (doc.entry.trained && score > 0) {
      score *= TRAINED_BOOST;
      matched.push('trained');
    }
    return { entry: doc.entry, index: doc.index, score, matched };
  });
}
