import type { QueryResult } from '@sluice/connectors';
import { DomainError } from '@sluice/core';
import { GuardResult, SqlGuard, SqlTooComplexError } from '../guard/sql-guard';
import type { AttemptDto } from '../dto/nl2sql.dto';
import { reasonOf } from '../nl2sql-rules';
import type { QuestionContext } from '../question-context';
import type { SqlExecutor } from '../sql-executor';
import type { CandidateSource, GenerationRun } from './generation-run';

/** A candidate that passed (and ran, unless the question only checks). */
export interface Accepted {
  checked: GuardResult;
  result: QueryResult | null;
}

/** A candidate that did not: the reason, worded for the LLM's next attempt. */
export interface Failed {
  failure: string;
  checked?: GuardResult;
}

export type CandidateOutcome = Accepted | Failed;

export const isAccepted = (outcome: CandidateOutcome): outcome is Accepted => !('failure' in outcome);

/** What a question answers with, before it is recorded. */
export interface GeneratedAnswer {
  sql: string;
  validation: GuardResult;
  result: QueryResult | null;
  tablesUsed: string[];
  examplesUsed: string[];
  /** The stored example whose SQL answered the question as asked, without the LLM. */
  fromExample?: string;
}

export const answerFrom = (outcome: Accepted, examplesUsed: string[]): GeneratedAnswer => ({
  sql: outcome.checked.normalizedSql,
  validation: outcome.checked,
  result: outcome.result,
  tablesUsed: outcome.checked.tables,
  examplesUsed,
});

/**
 * One candidate statement, as an attempt of the run: the guard, then the database. A refusal
 * of either is an outcome (a reason for another attempt); anything else is thrown.
 */
export class CandidateEvaluator {
  constructor(
    private readonly guard: SqlGuard,
    private readonly executor: SqlExecutor,
    private readonly ctx: QuestionContext,
    private readonly run: GenerationRun,
  ) {}

  /** Checks and runs one candidate; `begun` is when its attempt started (the LLM call included). */
  async evaluate(source: CandidateSource, sql: string | null, begun: number): Promise<CandidateOutcome> {
    const attempt = this.run.startAttempt(source, sql);
    const outcome = await this.judge(attempt, sql);
    attempt.durationMs = Date.now() - begun;
    return outcome;
  }

  private async judge(attempt: AttemptDto, sql: string | null): Promise<CandidateOutcome> {
    if (sql === null) {
      attempt.validationErrors = [{ code: 'NO_SQL', message: 'The reply held no SQL statement' }];
      return { failure: 'the reply held no SQL statement' };
    }
    this.run.stage('validating', { attempt: attempt.index });
    const checked = await this.check(attempt, sql);
    if ('failure' in checked) return checked;
    attempt.validationOk = checked.ok;
    attempt.validationErrors = checked.errors;
    if (!checked.ok) return { failure: reasonOf(checked), checked };
    if (!this.run.settings.execute) return { checked, result: null };
    return this.execute(attempt, checked);
  }

  private async check(attempt: AttemptDto, sql: string): Promise<GuardResult | Failed> {
    const { ctx } = this;
    const { allowMutations, maxRows } = this.run.settings;
    try {
      return await this.guard.check(sql, {
        dialect: ctx.dialect,
        schema: ctx.snapshot,
        allowMutations,
        maxRows,
        piiColumns: ctx.withheld,
      });
    } catch (error) {
      // Too large or too slow to check: a reason for another attempt, like any refusal.
      if (!(error instanceof SqlTooComplexError)) throw error;
      attempt.validationErrors = [{ code: error.code, message: error.message }];
      return { failure: `the SQL was not checked: ${error.message}` };
    }
  }

  private async execute(attempt: AttemptDto, checked: GuardResult): Promise<CandidateOutcome> {
    const { allowMutations, maxRows } = this.run.settings;
    this.run.stage('executing', { attempt: attempt.index });
    try {
      const writes = allowMutations && !checked.readOnly;
      const result = await this.executor.run(this.ctx.connector, checked.normalizedSql, writes, maxRows);
      return { checked, result };
    } catch (error) {
      // The database's own words (unknown column, type mismatch, timeout) go back to the LLM.
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      attempt.executionError = error.message;
      return { failure: `the database refused it: ${error.message}`, checked };
    }
  }
}
