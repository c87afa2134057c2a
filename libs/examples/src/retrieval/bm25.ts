/** BM25's usual constants: term-frequency saturation and length normalisation. */
export interface Bm25Options {
  k1?: number;
  b?: number;
}

export interface Scored<T> {
  item: T;
  score: number;
}

/**
 * Okapi BM25 over documents already cut into tokens. Built per query from the candidates (a
 * tenant has at most thousands of examples), so there is no index to keep in sync.
 */
export class Bm25Index<T> {
  private readonly k1: number;
  private readonly b: number;
  private readonly docs: Array<{ item: T; length: number; tf: Map<string, number> }>;
  private readonly df = new Map<string, number>();
  private readonly avgLength: number;

  constructor(documents: Array<{ item: T; tokens: string[] }>, options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    this.docs = documents.map(({ item, tokens }) => {
      const tf = new Map<string, number>();
      for (const token of tokens) tf.set(token, (tf.get(token) ?? 0) + 1);
      for (const token of tf.keys()) this.df.set(token, (this.df.get(token) ?? 0) + 1);
      return { item, length: tokens.length, tf };
    });
    const total = this.docs.reduce((sum, d) => sum + d.length, 0);
    this.avgLength = this.docs.length ? total / this.docs.length : 0;
  }

  get size(): number {
    return this.docs.length;
  }

  /** Inverse document frequency, the variant that never goes negative for common terms. */
  idf(token: string): number {
    const n = this.df.get(token) ?? 0;
    return Math.log(1 + (this.docs.length - n + 0.5) / (n + 0.5));
  }

  /** Documents sharing at least one query token, best first; ties keep the input order. */
  search(queryTokens: string[], k = 10): Array<Scored<T>> {
    const terms = [...new Set(queryTokens)];
    const scored: Array<Scored<T> & { index: number }> = [];
    this.docs.forEach((doc, index) => {
      let score = 0;
      for (const term of terms) {
        const f = doc.tf.get(term);
        if (!f) continue;
        const norm = 1 - this.b + this.b * (this.avgLength ? doc.length / this.avgLength : 0);
        score += (this.idf(term) * (f * (this.k1 + 1))) / (f + this.k1 * norm);
      }
      if (score > 0) scored.push({ item: doc.item, score, index });
    });
    scored.sort((x, y) => y.score - x.score || x.index - y.index);
    return scored.slice(0, Math.max(0, k)).map(({ item, score }) => ({ item, score }));
  }
}
