import { DomainError } from '@sluice/core';
import type { LlmReply, LlmService } from '../llm/llm.service';
import { answerFrom, CandidateEvaluator, CandidateOutcome, GeneratedAnswer, isAccepted } from './candidate-evaluator';
import { clientGone, GenerationRun } from './generation-run';
import { feedbackTurn } from './prompt';
import type { QuestionPrompt } from './question-prompt';
import { extractSql, MAX_REPLY_CHARS } from './sql-extract';

/**
 * The LLM's attempts at one question: ask, take the SQL from the reply, evaluate it, and send
 * the precise reason back, until a candidate passes or the run is out of attempts or time.
 */
export class LlmAttempts {
  constructor(
    private readonly llm: LlmService,
    private readonly tenantId: string,
    private readonly run: GenerationRun,
    private readonly evaluator: CandidateEvaluator,
  ) {}

  async answer(prompt: QuestionPrompt): Promise<GeneratedAnswer> {
    let lastFailure = 'no attempt was made';
    while (this.run.attemptsLeft) {
      const remaining = this.run.remainingMs();
      if (remaining <= 0) break;
      this.run.throwIfClientGone();
      const outcome = await this.attempt(prompt, remaining);
      if (isAccepted(outcome)) return answerFrom(outcome, prompt.examplesUsed);
      lastFailure = outcome.failure;
      prompt.turns.push(feedbackTurn(outcome.failure));
    }
    throw this.run.exhausted(lastFailure);
  }

  private async attempt(prompt: QuestionPrompt, remaining: number): Promise<CandidateOutcome> {
    this.run.stage('generating', { attempt: this.run.attempts.length + 1 });
    const begun = Date.now();
    const reply = await this.ask(prompt, remaining);
    this.run.addUsage(reply.usage);
    // Fed back in the next prompt: a runaway reply must not grow every later request.
    prompt.turns.push({ role: 'assistant', content: reply.text.slice(0, MAX_REPLY_CHARS) });
    return this.evaluator.evaluate('llm', extractSql(reply.text), begun);
  }

  /** One LLM call, stopped by the run's deadline or by the client leaving. */
  private ask(prompt: QuestionPrompt, remaining: number): Promise<LlmReply> {
    const { signal } = this.run;
    const budget = AbortSignal.timeout(remaining);
    return this.llm
      .chat(this.tenantId, prompt.turns, signal ? AbortSignal.any([budget, signal]) : budget)
      .catch((error: unknown) => {
        if (signal?.aborted) throw clientGone();
        if (error instanceof DomainError && error.code === 'LLM_TIMEOUT' && Date.now() >= this.run.deadline - 50) {
          throw new DomainError(
            504,
            'LLM_TIMEOUT',
            `No usable SQL within the time budget of ${this.run.settings.budgetMs} ms (NL2SQL_TIME_BUDGET_MS); the LLM was too slow`,
          );
        }
        throw error;
      });
  }
}
