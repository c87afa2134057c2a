import { Inject, Injectable } from '@nestjs/common';
import type { SqlDialect } from '@sluice/core';
import { ExampleChecker } from '../example-checker';
import { ExampleEntity } from '../example.entity';
import { CandidateScope, ExampleRepository } from '../example.repository';
import { ExampleResponseDto } from '../dto/example.dto';
import { mapExample } from '../mappers';
import { EXAMPLE_RANKER, ExampleRanker } from './example-ranker';
import { normalisedKey } from './text-normaliser';

export interface RetrievalScope {
  /** Examples of this connector, plus those of no connector in its dialect. */
  connectorId?: string;
  /** Defaults to the connector's dialect; alone, it limits the candidates to this dialect. */
  dialect?: SqlDialect;
}

export interface SimilarExample {
  example: ExampleResponseDto;
  score: number;
}

/**
 * Finds the tenant's examples most like a new question, for NL2SQL's few-shot prompt. Candidates
 * are loaded per call (a tenant has thousands at most) and ranked in process by the
 * EXAMPLE_RANKER (BM25 by default).
 */
@Injectable()
export class ExampleRetriever {
  constructor(
    private readonly examples: ExampleRepository,
    private readonly checker: ExampleChecker,
    @Inject(EXAMPLE_RANKER) private readonly ranker: ExampleRanker,
  ) {}

  /** The `k` most similar examples, best first; examples sharing no word with the question are left out. */
  async findSimilar(
    tenantId: string,
    question: string,
    options: RetrievalScope & { k?: number } = {},
  ): Promise<SimilarExample[]> {
    const k = options.k ?? 5;
    if (k <= 0) return [];
    const candidates = await this.candidates(tenantId, options);
    const ranked = await this.ranker.rank(question, candidates, k);
    return ranked.map(({ example, score }) => ({ example: mapExample(example), score }));
  }

  /**
   * The example whose question has the same normalised words, in the same order (so "top 5" and
   * "top 10", or "customers of employees" and "employees of customers", stay apart). Prefers the
   * connector's own example, then the newest. For answering without the LLM.
   */
  async findExact(tenantId: string, question: string, scope: RetrievalScope = {}): Promise<ExampleResponseDto | null> {
    const key = normalisedKey(question);
    if (!key) return null;
    const matches = (await this.candidates(tenantId, scope)).filter((e) => normalisedKey(e.question) === key);
    const best =
      matches.find((e) => scope.connectorId !== undefined && e.connectorId === scope.connectorId) ?? matches[0];
    return best ? mapExample(best) : null;
  }

  private async candidates(tenantId: string, scope: RetrievalScope): Promise<ExampleEntity[]> {
    const resolved: CandidateScope = { connectorId: scope.connectorId, dialect: scope.dialect };
    if (scope.connectorId && !scope.dialect) {
      resolved.dialect = await this.checker.connectorDialect(tenantId, scope.connectorId);
    }
    return this.examples.candidates(tenantId, resolved);
  }
}
