import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth/role';
import type { QueryResult } from '@sluice/connectors/plugin/connector-plugin';
import { EnvDto } from '@sluice/core/config/env.dto';
import { DomainError, TooManyRequestsError, UnprocessableError } from '@sluice/core/errors/domain-error';
import { ConcurrencySlots, Slot } from '@sluice/core/throttling/concurrency-slots';
import { ExampleRetriever } from '@sluice/examples/retrieval/example-retriever';
import { HistoryService } from '@sluice/history/history.service';
import { chartFor } from './answers/chart';
import { linkSchema } from './context/schema-linker';
import { answerPrompt, buildPrompt, feedbackTurn } from './generation/prompt';
import { extractSql, MAX_REPLY_CHARS } from './generation/sql-extract';
import { GuardResult, SqlGuard, SqlTooComplexError } from './guard/sql-guard';
import { AttemptDto, QueryDto, QueryResponseDto } from './dto/nl2sql.dto';
import { ChatTurn, LlmService, TokenUsage } from './llm/llm.service';
import { maxRowsFor, mutationsAllowed, reasonOf, validationOf } from './nl2sql-rules';
import { QuestionContext, QuestionContextService } from './question-context';
import { SqlExecutor } from './sql-executor';

export type Stage = 'linking' | 'generating' | 'validating' | 'executing' | 'answering';
export type StageListener = (stage: Stage, detail?: Record<string, unknown>) => void;

const EXAMPLES_IN_PROMPT = 3;
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

/** Recorded in history when the client left before the answer; nobody is there to read it. */
const clientGone = () =>
  new DomainError(499, 'CLIENT_CLOSED_REQUEST', 'The client closed the request before the answer');

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

  private async ask(
    auth: AuthContext,
    dto: QueryDto,
    onStage: StageListener,
    signal: AbortSignal | undefined,
  ): Promise<QueryResponseDto> {
    const started = Date.now();
    const allowMutations = mutationsAllowed(auth, dto.allowMutations);
    const maxRows = maxRowsFor(this.env, dto.maxRows);
    const execute = dto.execute ?? true;
    const ctx = await this.contexts.load(auth, dto.connectorId);
    const attempts: AttemptDto[] = [];
    const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
    let tablesUsed: string[] = [];
    let examplesUsed: string[] = [];

    const finish = async (outcome: {
      sql: string | null;
      validation: GuardResult | null;
      result: QueryResult | null;
      error?: string;
    }): Promise<QueryResponseDto> => {
      const entry = await this.history.record({
        tenantId: auth.tenantId,
        userId: auth.userId,
        connectorId: dto.connectorId,
        question: dto.question,
        sql: outcome.sql,
        ok: !outcome.error,
        rowCount: outcome.result?.rowCount ?? null,
        error: outcome.error ?? null,
        durationMs: Date.now() - started,
        attempts: attempts.length,
        usage: usage.promptTokens || usage.completionTokens ? usage : null,
      });
      return {
        sql: outcome.sql,
        validation: outcome.validation ? validationOf(outcome.validation) : null,
        result: outcome.result,
        attempts,
        tablesUsed,
        examplesUsed,
        usage,
        historyId: entry.id,
      };
    };
    const fail = async (error: DomainError, sql: string | null): Promise<never> => {
      const { historyId } = await finish({ sql, validation: null, result: null, error: error.message });
      // The attempts and the history entry travel with the error, so a client can show what was tried.
      throw new DomainError(error.status, error.code, error.message, [
        ...((error.details as unknown[] | undefined) ?? []),
        { historyId, attempts },
      ]);
    };

    try {
      const body = await this.answer(auth, dto, ctx, {
        allowMutations,
        maxRows,
        execute,
        attempts,
        usage,
        onStage,
        started,
        signal,
      });
      tablesUsed = body.tablesUsed;
      examplesUsed = body.examplesUsed;
      const response = await finish(body);
      if (dto.chart) response.chart = body.result ? chartFor(body.result.columns, body.result.rows) : null;
      if (dto.answer)
        response.answer = body.result
          ? await this.sayAnswer(auth, dto.question, body.result, usage, onStage, signal)
          : null;
      return response;
    } catch (error) {
      if (error instanceof DomainError) return fail(error, attempts[attempts.length - 1]?.sql ?? null);
      throw error;
    }
  }

  private async answer(
    auth: AuthContext,
    dto: QueryDto,
    ctx: QuestionContext,
    run: {
      allowMutations: boolean;
      maxRows: number;
      execute: boolean;
      attempts: AttemptDto[];
      usage: TokenUsage;
      onStage: StageListener;
      started: number;
      signal?: AbortSignal;
    },
  ): Promise<{
    sql: string;
    validation: GuardResult;
    result: QueryResult | null;
    tablesUsed: string[];
    examplesUsed: string[];
  }> {
    const { attempts, usage, onStage } = run;
    const deadline = run.started + this.env.NL2SQL_TIME_BUDGET_MS;
    const guardOptions = {
      dialect: ctx.dialect,
      schema: ctx.snapshot,
      allowMutations: run.allowMutations,
      maxRows: run.maxRows,
      piiColumns: ctx.withheld,
    };
    /** Checks and runs one candidate; the reason it failed, or its outcome. */
    const tryCandidate = async (source: 'llm' | 'example', sql: string | null, begun: number) => {
      const attempt: AttemptDto = {
        index: attempts.length + 1,
        source,
        sql,
        validationOk: false,
        validationErrors: [],
        executionError: null,
        durationMs: 0,
      };
      attempts.push(attempt);
      const done = <T>(value: T) => ((attempt.durationMs = Date.now() - begun), value);
      if (sql === null) {
        attempt.validationErrors = [{ code: 'NO_SQL', message: 'The reply held no SQL statement' }];
        return done({ failure: 'the reply held no SQL statement' });
      }
      onStage('validating', { attempt: attempt.index });
      let checked: GuardResult;
      try {
        checked = await this.guard.check(sql, guardOptions);
      } catch (error) {
        // Too large or too slow to check: a reason for another attempt, like any refusal.
        if (!(error instanceof SqlTooComplexError)) throw error;
        attempt.validationErrors = [{ code: error.code, message: error.message }];
        return done({ failure: `the SQL was not checked: ${error.message}` });
      }
      attempt.validationOk = checked.ok;
      attempt.validationErrors = checked.errors;
      if (!checked.ok) return done({ failure: reasonOf(checked), checked });
      if (!run.execute) return done({ checked, result: null });
      onStage('executing', { attempt: attempt.index });
      try {
        const result = await this.executor.run(
          ctx.connector,
          checked.normalizedSql,
          run.allowMutations && !checked.readOnly,
          run.maxRows,
        );
        return done({ checked, result });
      } catch (error) {
        // The database's own words (unknown column, type mismatch, timeout) go back to the LLM.
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        attempt.executionError = error.message;
        return done({ failure: `the database refused it: ${error.message}`, checked });
      }
    };

    onStage('linking');
    const exact = await this.examples.findExact(auth.tenantId, dto.question, { connectorId: ctx.connector.id });
    if (exact) {
      const outcome = await tryCandidate('example', exact.sql, Date.now());
      if (!('failure' in outcome)) {
        return {
          sql: outcome.checked.normalizedSql,
          validation: outcome.checked,
          result: outcome.result,
          tablesUsed: outcome.checked.tables,
          examplesUsed: [exact.id],
        };
      }
    }

    const similar = await this.examples.findSimilar(auth.tenantId, dto.question, {
      connectorId: ctx.connector.id,
      k: EXAMPLES_IN_PROMPT,
    });
    const required = await this.contexts.tablesOf(
      similar.map((s) => s.example.sql),
      ctx,
    );
    const linked = linkSchema(dto.question, await this.contexts.linkables(ctx), {
      tokenBudget: this.env.NL2SQL_SCHEMA_TOKEN_BUDGET,
      requiredTables: required,
      dialect: ctx.dialect,
    });
    const turns: ChatTurn[] = buildPrompt({
      question: dto.question,
      dialect: ctx.dialect,
      ddl: linked.ddl,
      examples: similar.map((s) => ({ question: s.example.question, sql: s.example.sql })),
      allowMutations: run.allowMutations,
      maxRows: run.maxRows,
    });
    const examplesUsed = similar.map((s) => s.example.id);
    let lastFailure = 'no attempt was made';

    while (attempts.length < this.env.NL2SQL_MAX_ATTEMPTS) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      if (run.signal?.aborted) throw clientGone();
      onStage('generating', { attempt: attempts.length + 1 });
      const begun = Date.now();
      const budget = AbortSignal.timeout(remaining);
      const reply = await this.llm
        .chat(auth.tenantId, turns, run.signal ? AbortSignal.any([budget, run.signal]) : budget)
        .catch((error: unknown) => {
          if (run.signal?.aborted) throw clientGone();
          if (error instanceof DomainError && error.code === 'LLM_TIMEOUT' && Date.now() >= deadline - 50) {
            throw new DomainError(
              504,
              'LLM_TIMEOUT',
              `No usable SQL within the time budget of ${this.env.NL2SQL_TIME_BUDGET_MS} ms (NL2SQL_TIME_BUDGET_MS); the LLM was too slow`,
            );
          }
          throw error;
        });
      usage.promptTokens += reply.usage.promptTokens;
      usage.completionTokens += reply.usage.completionTokens;
      // Fed back in the next prompt: a runaway reply must not grow every later request.
      turns.push({ role: 'assistant', content: reply.text.slice(0, MAX_REPLY_CHARS) });
      const outcome = await tryCandidate('llm', extractSql(reply.text), begun);
      if (!('failure' in outcome)) {
        return {
          sql: outcome.checked.normalizedSql,
          validation: outcome.checked,
          result: outcome.result,
          tablesUsed: outcome.checked.tables,
          examplesUsed,
        };
      }
      lastFailure = outcome.failure;
      turns.push(feedbackTurn(outcome.failure));
    }
    const outOfTime = attempts.length < this.env.NL2SQL_MAX_ATTEMPTS;
    throw new UnprocessableError(
      'NL2SQL_FAILED',
      outOfTime
        ? `No usable SQL within the time budget of ${this.env.NL2SQL_TIME_BUDGET_MS} ms; last problem: ${lastFailure}`
        : `No usable SQL after ${attempts.length} attempt(s); last problem: ${lastFailure}`,
    );
  }

  private async sayAnswer(
    auth: AuthContext,
    question: string,
    result: QueryResult,
    usage: TokenUsage,
    onStage: StageListener,
    signal: AbortSignal | undefined,
  ): Promise<string | null> {
    if (signal?.aborted) return null;
    onStage('answering');
    try {
      const reply = await this.llm.chat(
        auth.tenantId,
        answerPrompt(
          question,
          result.columns.map((c) => c.name),
          result.rows,
          result.rowCount,
          result.truncated,
        ),
        signal,
      );
      usage.promptTokens += reply.usage.promptTokens;
      usage.completionTokens += reply.usage.completionTokens;
      return reply.text.trim() || null;
    } catch {
      return null;
    }
  }
}
