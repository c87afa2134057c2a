/**
 * Words that carry no meaning for matching questions: articles, pronouns, auxiliaries and the
 * request verbs every question starts with ("show me", "list", "give"). Negations, numbers and
 * quantity words (no, not, without, many, most, top, each, per) stay: they change the SQL.
 */
export const STOPWORDS = new Set(
  [
    'a an the this that these those there here',
    'i me my we us our you your he him his she her it its they them their',
    'is are was were be been being am do does did doing have has had having',
    'what which who whom whose when where why how',
    'of in on at to from by for with about into onto over under between through during',
    'and or but so than then as if also just only very',
    'can could would should will shall may might must',
    'show list give get find display tell return see want need know please',
  ]
    .join(' ')
    .split(' '),
);

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/** "stopp" → "stop", "runn" → "run"; ll, ss and zz stay ("bill", "class"). */
function undouble(word: string): string {
  const last = word[word.length - 1];
  if (word.length > 3 && last === word[word.length - 2] && !VOWELS.has(last) && !'lsz'.includes(last)) {
    return word.slice(0, -1);
  }
  return word;
}

/**
 * Light English stemming, enough for questions to meet their paraphrases: plurals ("countries",
 * "albums"), -ing and -ed ("selling", "listed") and a final e ("purchase" and "purchased" both
 * become "purchas"). Not a linguist's stemmer: it only has to map related forms to one token.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /^\d+$/.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4) w = undouble(w.slice(0, -2));
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

/**
 * The words of a text as matching sees them: camelCase and snake_case split, lower-cased,
 * accents and punctuation dropped, stopwords and one-letter words left out, each word stemmed.
 * Numbers are kept ("top 5" and "top 10" are different questions).
 */
export function normalise(text: string): string[] {
  const split = text
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu}+)(\p{Lu}\p{Ll})/gu, '$1 $2')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  return split
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1 || /\d/.test(w))
    .filter((w) => !STOPWORDS.has(w))
    .map(stem);
}

/** One string per normalised question: equal keys mean the same question in other words' clothing. */
export function normalisedKey(text: string): string {
  return normalise(text).join(' ');
}
