import { DomainError, UnprocessableError } from '@sluice/core';
import type { AttemptDto } from '../dto/nl2sql.dto';
import type { TokenUsage } from '../llm/llm.service';

export type Stage = 'linking' | 'generating' | 'validating' | 'executing' | 'answering';
export type StageListener = (stage: Stage, detail?: Record<string, unknown>) => void;

/** Where a candidate statement came from: a stored example, or the LLM. */
export type CandidateSource = 'llm' | 'example';

/** What one question may do and spend, fixed when it is asked. */
export interface RunSettings {
  allowMutations: boolean;
  maxRows: number;
  /** False: check the SQL without running it. */
  execute: boolean;
  /** NL2SQL_MAX_ATTEMPTS: candidates checked, the example's included. */
  maxAttempts: number;
  /** NL2SQL_TIME_BUDGET_MS, counted from `started`. */
  budgetMs: number;
  onStage: StageListener;
  /** Aborted when the client has gone. */
  signal?: AbortSignal;
}

/** Recorded in history when the client left before the answer; nobody is there to read it. */
export const clientGone = () =>
  new DomainError(499, 'CLIENT_CLOSED_REQUEST', 'The client closed the request before the answer');

/**
 * One question's run: the attempts made so far, the tokens spent and the deadline. Every step
 * of the answer adds to this one object; nothing else keeps count.
 */
export class GenerationRun {
  readonly attempts: AttemptDto[] = [];
  readonly usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  readonly deadline: number;

  constructor(
    readonly settings: RunSettings,
    readonly started: number = Date.now(),
  ) {
    this.deadline = started + settings.budgetMs;
  }

  get signal(): AbortSignal | undefined {
    return this.settings.signal;
  }

  stage(stage: Stage, detail?: Record<string, unknown>): void {
    this.settings.onStage(stage, detail);
  }

  /** A new attempt, numbered from 1, not yet checked. */
  startAttempt(source: CandidateSource, sql: string | null): AttemptDto {
    const attempt: AttemptDto = {
      index: this.attempts.length + 1,
      source,
      sql,
      validationOk: false,
      validationErrors: [],
      executionError: null,
      durationMs: 0,
    };
    this.attempts.push(attempt);
    return attempt;
  }

  get attemptsLeft(): boolean {
    return this.attempts.length < this.settings.maxAttempts;
  }

  remainingMs(now: number = Date.now()): number {
    return this.deadline - now;
  }

  throwIfClientGone(): void {
    if (this.signal?.aborted) throw clientGone();
  }

  addUsage(usage: TokenUsage): void {
    this.usage.promptTokens += usage.promptTokens;
    this.usage.completionTokens += usage.completionTokens;
  }

  /** The usage as history keeps it: null when no token was spent. */
  get spentUsage(): TokenUsage | null {
    return this.usage.promptTokens || this.usage.completionTokens ? this.usage : null;
  }

  /** The SQL of the last attempt, if any: what a failed question records. */
  get lastSql(): string | null {
    return this.attempts[this.attempts.length - 1]?.sql ?? null;
  }

  /** The refusal when no attempt gave usable SQL: out of attempts, or out of time. */
  exhausted(lastFailure: string): UnprocessableError {
    const { budgetMs } = this.settings;
    return new UnprocessableError(
      'NL2SQL_FAILED',
      this.attemptsLeft
        ? `No usable SQL within the time budget of ${budgetMs} ms; last problem: ${lastFailure}`
        : `No usable SQL after ${this.attempts.length} attempt(s); last problem: ${lastFailure}`,
    );
  }
}
