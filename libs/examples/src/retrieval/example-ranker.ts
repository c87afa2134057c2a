import { Injectable } from '@nestjs/common';
import { Bm25Index } from './bm25';
import { normalise } from './text-normaliser';

/** What a ranker needs of an example. */
export interface RankableExample {
  id: string;
  question: string;
  tags: string[];
}

export interface RankedExample<T extends RankableExample> {
  example: T;
  /** Higher is more similar; comparable within one call only. */
  score: number;
}

/**
 * Orders a tenant's candidate examples by similarity to a new question. The default is lexical
 * (BM25); an embeddings ranker (or a hybrid that fuses both lists) plugs in by providing this
 * token in ExamplesModule, with nothing else changing.
 */
export interface ExampleRanker {
  rank<T extends RankableExample>(question: string, candidates: T[], k: number): Promise<Array<RankedExample<T>>>;
}

export const EXAMPLE_RANKER = Symbol('ExampleRanker');

/** BM25 over the normalised words of each example's question and tags. */
@Injectable()
export class Bm25ExampleRanker implements ExampleRanker {
  rank<T extends RankableExample>(question: string, candidates: T[], k: number): Promise<Array<RankedExample<T>>> {
    const index = new Bm25Index(
      candidates.map((example) => ({
        item: example,
        tokens: [...normalise(example.question), ...example.tags.flatMap((tag) => normalise(tag))],
      })),
    );
    return Promise.resolve(index.search(normalise(question), k).map(({ item, score }) => ({ example: item, score })));
  }
}
