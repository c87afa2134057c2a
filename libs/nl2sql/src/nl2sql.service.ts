import { Injectable, Optional } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import {
  AttemptResult,
  EnvDto,
  DomainError,
  MetricsService,
  TooManyRequestsError,
  ConcurrencySlots,
  Slot,
} from '@sluice/core';
import { ExampleRetriever } from '@sluice/examples';
import { HistoryService } from '@sluice/history';
import { AnswerRecord } from './answers/answer-record';
import { chartFor } from './answers/chart';
import { spokenAnswer } from './answers/spoken-answer';
import { CandidateEvaluator, GeneratedAnswer } from './generation/candidate-evaluator';
import { exampleShortcut } from './generation/example-shortcut';
import { GenerationRun, RunSettings, StageListener } from './generation/generation-run';
import { LlmAttempts } from './generation/llm-attempts';
import { questionPrompt } from './generation/question-prompt';
import { SqlGuard } from './guard/sql-guard';
import { AttemptDto, QueryDto, QueryResponseDto } from './dto/nl2sql.dto';
import { LlmService } from './llm/llm.service';
import { maxRowsFor, mutationsAllowed } from './nl2sql-rules';
import { QuestionContext, QuestionContextService } from './question-context';
import { SqlExecutor } from './sql-executor';

export type { Stage, StageListener } from './generation/generation-run';

/** How one attempt came out, as /metrics counts it (source and a bounded result, no SQL). */
function attemptResult(attempt: AttemptDto): { source: string; result: AttemptResult } {
  const code = attempt.validationErrors[0]?.code;
  const result: AttemptResult = attempt.executionError
    ? 'db_error'
    : attempt.validationOk
      ? 'accepted'
      : code === 'NO_SQL'
        ? 'no_sql'
        : code === 'SQL_TOO_COMPLEX'
          ? 'too_complex'
          : 'refused';
  return { source: attempt.source, result };
}

/** What a refused question suggests waiting before asking again: questions usually take seconds. */
const BUSY_RETRY_AFTER_SECONDS = 5;

export interface QueryOptions {
  /** Told of each stage as it begins (the streamed route). */
  onStage?: StageListener;
  /** Aborts when the client has gone: the LLM calls in flight stop and the slot is given back. */
  signal?: AbortSignal;
  /** A slot the caller took with {@link Nl2sqlService.admit}; released when the question ends. */
  slot?: Slot;
}

/**
 * Questions to SQL: context (linked schema, examples, instructions) → LLM → SQL extracted →
 * guard → run, with the precise error sent back for another attempt, within NL2SQL_MAX_ATTEMPTS
 * and a wall-clock budget. An exact example match answers without the LLM. Every question,
 * answered or not, is written to history.
 */
@Injectable()
export class Nl2sqlService {
  constructor(
    private readonly contexts: QuestionContextService,
    private readonly executor: SqlExecutor,
    private readonly examples: ExampleRetriever,
    private readonly history: HistoryService,
    private readonly llm: LlmService,
    private readonly guard: SqlGuard,
    private readonly env: EnvDto,
    private readonly slots: ConcurrencySlots,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /**
   * Takes one of the tenant's NL2SQL_MAX_CONCURRENT_PER_TENANT question slots, shared by every
   * API instance, or refuses with 429 TOO_MANY_CONCURRENT_QUERIES: one tenant's burst must not
   * take every LLM call and database connection from the others.
   */
  async admit(auth: AuthContext, connectorId?: string): Promise<Slot> {
    // Another tenant's or a missing connector is a 404 before anything else (and before a
    // streamed answer has sent its 200).
    if (connectorId) await this.contexts.dialect(auth, connectorId);
    const limit = this.env.NL2SQL_MAX_CONCURRENT_PER_TENANT;
    const slot = await this.slots.tryAcquire('nl2sql', auth.tenantId, limit);
    if (slot) return slot;
    throw new TooManyRequestsError(
      `At most ${limit} questions of a tenant may be in flight at once (NL2SQL_MAX_CONCURRENT_PER_TENANT); retry when one has finished`,
      BUSY_RETRY_AFTER_SECONDS,
      'TOO_MANY_CONCURRENT_QUERIES',
    );
  }

  /** Answers a question within one of the tenant's slots, given back however the question ends. */
  async query(auth: AuthContext, dto: QueryDto, options: QueryOptions = {}): Promise<QueryResponseDto> {
    const slot = options.slot ?? (await this.admit(auth));
    try {
      return await this.ask(auth, dto, options.onStage ?? (() => undefined), options.signal);
    } finally {
      slot.release();
    }
  }

  /**
   * The steps of one question: the rules of the caller, the connector's context, the example
   * shortcut or the LLM's attempts, then history, and the chart and spoken answer when asked.
   */
  private async ask(
    auth: AuthContext,
    dto: QueryDto,
    onStage: StageListener,
    signal: AbortSignal | undefined,
  ): Promise<QueryResponseDto> {
    const started = Date.now();
    const settings: RunSettings = {
      allowMutations: mutationsAllowed(auth, dto.allowMutations),
      maxRows: maxRowsFor(this.env, dto.maxRows),
      execute: dto.execute ?? true,
      maxAttempts: this.env.NL2SQL_MAX_ATTEMPTS,
      budgetMs: this.env.NL2SQL_TIME_BUDGET_MS,
      onStage,
      signal,
    };
    const ctx = await this.contexts.load(auth, dto.connectorId);
    const run = new GenerationRun(settings, started);
    const record = new AnswerRecord(this.history, auth, dto, run);
    try {
      const body = await this.generate(auth, dto, ctx, run);
      const response = await record.finish(body);
      const unrun = 'the SQL was not run (execute: false)';
      if (dto.chart) {
        response.chart = body.result ? chartFor(body.result.columns, body.result.rows) : null;
        if (!body.result) response.warnings.push({ code: 'CHART_NO_RESULT', message: `No chart: ${unrun}` });
      }
      if (dto.answer) {
        const spoken = body.result
          ? await spokenAnswer(this.llm, auth.tenantId, dto.question, body.result, run)
          : { text: null, warning: { code: 'ANSWER_NO_RESULT' as const, message: `No answer in words: ${unrun}` } };
        response.answer = spoken.text;
        if (spoken.warning) response.warnings.push(spoken.warning);
      }
      this.metrics?.nl2sqlQuestion('answered', run.attempts.map(attemptResult));
      return response;
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'INTERNAL';
      this.metrics?.nl2sqlQuestion(code, run.attempts.map(attemptResult));
      if (error instanceof DomainError) return record.fail(error);
      throw error;
    }
  }

  /** A stored example answering the question as asked, or else the LLM's attempts. */
  private async generate(
    auth: AuthContext,
    dto: QueryDto,
    ctx: QuestionContext,
    run: GenerationRun,
  ): Promise<GeneratedAnswer> {
    const evaluator = new CandidateEvaluator(this.guard, this.executor, ctx, run);
    run.stage('linking');
    const shortcut = await exampleShortcut(this.examples, auth.tenantId, dto.question, ctx, evaluator);
    if (shortcut) return shortcut;
    const deps = { examples: this.examples, contexts: this.contexts, env: this.env };
    const prompt = await questionPrompt(deps, auth.tenantId, dto.question, ctx, run.settings);
    return new LlmAttempts(this.llm, auth.tenantId, run, evaluator).answer(prompt);
  }
}
