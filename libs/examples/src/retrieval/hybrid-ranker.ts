import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { OllamaEmbeddings } from '@langchain/ollama';
import { OpenAIEmbeddings } from '@langchain/openai';
import { Logger } from '@nestjs/common';
import { EnvDto, safeFetch, SafeNetwork } from '@sluice/core';
import { createHash } from 'node:crypto';
import { Bm25ExampleRanker, ExampleRanker, RankableExample, RankedExample } from './example-ranker';

/** Vectors kept per process: an example's text is embedded once, not on every question. */
const CACHE_LIMIT = 50_000;
/** Reciprocal-rank fusion constant: damps the weight of the very top of each list. */
const RRF_K = 60;

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Words and meaning together: BM25 and embedding similarity each order the candidates, and the
 * two orders are fused by reciprocal rank, so a paraphrase that shares no word with its example
 * still ranks, and an exact wording still wins. When the embeddings server fails, BM25 alone
 * answers (with a warning), so NL2SQL never stops for it.
 */
export class HybridExampleRanker implements ExampleRanker {
  private readonly logger = new Logger('Examples');
  private readonly vectors = new Map<string, number[]>();

  constructor(
    private readonly embeddings: EmbeddingsInterface,
    private readonly lexical: ExampleRanker = new Bm25ExampleRanker(),
  ) {}

  async rank<T extends RankableExample>(
    question: string,
    candidates: T[],
    k: number,
  ): Promise<Array<RankedExample<T>>> {
    const lexical = await this.lexical.rank(question, candidates, candidates.length);
    let semantic: Array<RankedExample<T>>;
    try {
      semantic = await this.semantic(question, candidates);
    } catch (error) {
      this.logger.warn(`Embeddings failed, ranking examples by words alone: ${(error as Error).message}`);
      return lexical.slice(0, k);
    }
    const fused = new Map<string, { example: T; score: number }>();
    for (const list of [lexical, semantic]) {
      list.forEach(({ example }, rank) => {
        const entry = fused.get(example.id) ?? { example, score: 0 };
        entry.score += 1 / (RRF_K + rank + 1);
        fused.set(example.id, entry);
      });
    }
    return [...fused.values()]
      .sort((a, b) => b.score - a.score || a.example.id.localeCompare(b.example.id))
      .slice(0, k);
  }

  private async semantic<T extends RankableExample>(
    question: string,
    candidates: T[],
  ): Promise<Array<RankedExample<T>>> {
    const text = (e: T) => [e.question, ...e.tags].join(' ');
    const key = (e: T) => createHash('sha256').update(text(e)).digest('base64url');
    const missing = candidates.filter((e) => !this.vectors.has(key(e)));
    if (missing.length) {
      const computed = await this.embeddings.embedDocuments(missing.map(text));
      missing.forEach((e, i) => this.remember(key(e), computed[i]));
    }
    const asked = await this.embeddings.embedQuery(question);
    return candidates
      .map((example) => ({ example, score: cosine(asked, this.vectors.get(key(example)) ?? []) }))
      .sort((a, b) => b.score - a.score);
  }

  private remember(key: string, vector: number[]): void {
    if (this.vectors.size >= CACHE_LIMIT) this.vectors.delete(this.vectors.keys().next().value!);
    this.vectors.set(key, vector);
  }
}

/** BM25 alone, or BM25 fused with embeddings when EMBEDDINGS_PROVIDER is set. */
export function exampleRankerFor(env: EnvDto, net: SafeNetwork): ExampleRanker {
  if (!env.EMBEDDINGS_PROVIDER) return new Bm25ExampleRanker();
  const fetch = safeFetch(net, { maxResponseBytes: env.HTTP_RESPONSE_MAX_BYTES });
  const embeddings =
    env.EMBEDDINGS_PROVIDER === 'openai'
      ? new OpenAIEmbeddings({
          model: env.EMBEDDINGS_MODEL ?? 'text-embedding-3-small',
          apiKey: env.EMBEDDINGS_API_KEY ?? 'not-set',
          maxRetries: 1,
          configuration: { baseURL: env.EMBEDDINGS_BASE_URL, fetch },
        })
      : new OllamaEmbeddings({
          model: env.EMBEDDINGS_MODEL ?? 'nomic-embed-text',
          baseUrl: env.EMBEDDINGS_BASE_URL ?? 'http://127.0.0.1:11434',
          fetch,
        });
  return new HybridExampleRanker(embeddings);
}
