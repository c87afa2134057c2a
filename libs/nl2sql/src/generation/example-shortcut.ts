import type { ExampleRetriever } from '@sluice/examples';
import type { QuestionContext } from '../question-context';
import { answerFrom, CandidateEvaluator, GeneratedAnswer, isAccepted } from './candidate-evaluator';

/**
 * A stored example whose question is this one answers without the LLM, when its SQL still
 * passes the guard (and runs). Null otherwise: the LLM is asked, and the example's failed
 * attempt counts as one of the run's.
 */
export async function exampleShortcut(
  examples: ExampleRetriever,
  tenantId: string,
  question: string,
  ctx: QuestionContext,
  evaluator: CandidateEvaluator,
): Promise<GeneratedAnswer | null> {
  const exact = await examples.findExact(tenantId, question, { connectorId: ctx.connector.id });
  if (!exact) return null;
  const outcome = await evaluator.evaluate('example', exact.sql, Date.now());
  return isAccepted(outcome) ? { ...answerFrom(outcome, [exact.id]), fromExample: exact.id } : null;
}
