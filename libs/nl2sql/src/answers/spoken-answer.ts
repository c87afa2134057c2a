import type { QueryResult } from '@sluice/connectors';
import type { GenerationRun } from '../generation/generation-run';
import { answerPrompt } from '../generation/prompt';
import type { LlmService } from '../llm/llm.service';

/**
 * The result told in a sentence or two by the LLM, its tokens added to the run's usage. Null
 * when the client has gone, the reply is empty or the call fails: the answer is optional.
 */
export async function spokenAnswer(
  llm: LlmService,
  tenantId: string,
  question: string,
  result: QueryResult,
  run: GenerationRun,
): Promise<string | null> {
  if (run.signal?.aborted) return null;
  run.stage('answering');
  try {
    const columns = result.columns.map((c) => c.name);
    const prompt = answerPrompt(question, columns, result.rows, result.rowCount, result.truncated);
    const reply = await llm.chat(tenantId, prompt, run.signal);
    run.addUsage(reply.usage);
    return reply.text.trim() || null;
  } catch {
    return null;
  }
}
