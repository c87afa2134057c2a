import type { AuthContext } from '@sluice/auth';
import type { QueryResult } from '@sluice/connectors';
import { DomainError } from '@sluice/core';
import type { HistoryService } from '@sluice/history';
import type { GenerationRun } from '../generation/generation-run';
import type { GuardResult } from '../guard/sql-guard';
import { QueryDto, QueryResponseDto } from '../dto/nl2sql.dto';
import { validationOf } from '../nl2sql-rules';

/** How a question ended, as history and the response tell it. */
export interface AnswerOutcome {
  sql: string | null;
  validation: GuardResult | null;
  result: QueryResult | null;
  tablesUsed: string[];
  examplesUsed: string[];
  /** The example that answered as asked: the history entry is that example already. */
  fromExample?: string;
  error?: string;
}

/**
 * The end of a question: written to history, answered or not, and turned into the response
 * (or into the error, which then carries the attempts and the history entry).
 */
export class AnswerRecord {
  constructor(
    private readonly history: HistoryService,
    private readonly auth: AuthContext,
    private readonly dto: QueryDto,
    private readonly run: GenerationRun,
  ) {}

  async finish(outcome: AnswerOutcome): Promise<QueryResponseDto> {
    const { auth, dto, run } = this;
    const entry = await this.history.record({
      tenantId: auth.tenantId,
      userId: auth.userId,
      connectorId: dto.connectorId,
      question: dto.question,
      sql: outcome.sql,
      ok: !outcome.error,
      rowCount: outcome.result?.rowCount ?? null,
      error: outcome.error ?? null,
      durationMs: Date.now() - run.started,
      attempts: run.attempts.length,
      usage: run.spentUsage,
      exampleId: outcome.fromExample ?? null,
    });
    return {
      sql: outcome.sql,
      validation: outcome.validation ? validationOf(outcome.validation) : null,
      result: outcome.result,
      attempts: run.attempts,
      tablesUsed: outcome.tablesUsed,
      examplesUsed: outcome.examplesUsed,
      usage: run.usage,
      historyId: entry.id,
      warnings: [],
    };
  }

  /** Records the failure, then throws it again with the attempts and the history entry's id. */
  async fail(error: DomainError): Promise<never> {
    const { historyId } = await this.finish({
      sql: this.run.lastSql,
      validation: null,
      result: null,
      tablesUsed: [],
      examplesUsed: [],
      error: error.message,
    });
    // The attempts and the history entry travel with the error, so a client can show what was tried.
    throw new DomainError(error.status, error.code, error.message, [
      ...((error.details as unknown[] | undefined) ?? []),
      { historyId, attempts: this.run.attempts },
    ]);
  }
}
