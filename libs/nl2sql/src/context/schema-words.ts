import { stem, STOPWORDS } from '@sluice/examples';

/**
 * Abbreviations common in column and table names across schemas, mapped to the word a question
 * uses. Generic naming conventions only: nothing here knows any particular database.
 */
const ABBREVIATIONS: Record<string, string> = {
  addr: 'address',
  amt: 'amount',
  avg: 'average',
  cnt: 'count',
  cust: 'customer',
  dept: 'department',
  desc: 'description',
  dob: 'birth',
  emp: 'employee',
  info: 'information',
  msg: 'message',
  nbr: 'number',
  num: 'number',
  org: 'organization',
  pct: 'percent',
  qty: 'quantity',
  txn: 'transaction',
  tx: 'transaction',
};

/**
 * Words that name no table or column in any schema but fill questions: how many, total, per.
 * On top of the example retriever's stopwords, which keep quantity words because they change SQL.
 */
const LINK_STOPWORDS = new Set(['many', 'much', 'each', 'every', 'per', 'all', 'any', 'some', 'not', 'no']);

/**
 * The words of an identifier: snake_case, kebab-case, camelCase, PascalCase and digit runs split
 * apart and lower-cased ("sbCustId" → sb cust id, "HTTPServer2" → http server 2).
 */
export function splitIdentifier(name: string): string[] {
  return name
    .replace(/([\p{Ll}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu}+)(\p{Lu}\p{Ll})/gu, '$1 $2')
    .replace(/(\p{L})(\p{N})/gu, '$1 $2')
    .replace(/(\p{N})(\p{L})/gu, '$1 $2')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** One word as matching sees it: abbreviation expanded, then stemmed. */
export function canonicalWord(word: string): string {
  return stem(ABBREVIATIONS[word] ?? word);
}

/**
 * Matching terms of free text or identifiers (question, names, descriptions, values): split as
 * identifiers, stopwords and lone letters dropped, abbreviations expanded, stemmed. Order kept.
 */
export function linkTerms(text: string): string[] {
  return splitIdentifier(text)
    .filter((w) => w.length > 1 || /\d/.test(w))
    .filter((w) => !STOPWORDS.has(w) && !LINK_STOPWORDS.has(w))
    .map(canonicalWord);
}

/**
 * The words of a name, stemmed but with no stopword removed: "from_airport" must keep "from"
 * for a full-name match to mean anything.
 */
export function nameTerms(name: string): string[] {
  return splitIdentifier(name).map(canonicalWord);
}

/**
 * Text as a plain run of words (no camelCase split, no stopword dropped), for phrase searches of
 * sample values in the question: "New York" and "new-york" both become new york.
 */
export function plainWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map(canonicalWord);
}
