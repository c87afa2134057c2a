import type { QueryResult } from '@sluice/connectors';
import { DomainError } from '@sluice/core';
import type { GenerationRun } from '../generation/generation-run';
import { answerPrompt } from '../generation/prompt';
import type { LlmService } from '../llm/llm.service';
import type { ResponseWarning } from './response-warning';

/** The answer in words, or null with the warning that says why there is none. */
export interface SpokenAnswer {
  text: string | null;
  warning?: ResponseWarning;
}

/**
 * The result told in a sentence or two by the LLM, its tokens added to the run's usage. The
 * answer is optional, so a missing or failing LLM leaves it null with a warning rather than
 * failing the question (whose SQL and rows may well have come from a stored example).
 */
export async function spokenAnswer(
  llm: LlmService,
  tenantId: string,
  question: string,
  result: QueryResult,
  run: GenerationRun,
): Promise<SpokenAnswer> {
  if (run.signal?.aborted) return { text: null };
  run.stage('answering');
  try {
    const columns = result.columns.map((c) => c.name);
    const prompt = answerPrompt(question, columns, result.rows, result.rowCount, result.truncated);
    const reply = await llm.chat(tenantId, prompt, run.signal);
    run.addUsage(reply.usage);
    const text = reply.text.trim();
    if (text) return { text };
    return { text: null, warning: { code: 'ANSWER_EMPTY', message: 'The LLM replied with no answer in words' } };
  } catch (error) {
    if (error instanceof DomainError && error.code === 'LLM_NOT_CONFIGURED') {
      return {
        text: null,
        warning: {
          code: 'ANSWER_LLM_NOT_CONFIGURED',
          message: 'No answer in words: no LLM is configured for this tenant (PUT /settings/llm)',
        },
      };
    }
    const reason = error instanceof Error ? error.message : String(error);
    return {
      text: null,
      warning: { code: 'ANSWER_FAILED', message: `No answer in words: the LLM call failed: ${reason}` },
    };
  }
}
