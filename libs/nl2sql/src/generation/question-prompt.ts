import type { EnvDto } from '@sluice/core';
import type { ExampleRetriever } from '@sluice/examples';
import { linkSchema } from '../context/schema-linker';
import type { ChatTurn } from '../llm/llm.service';
import type { QuestionContext, QuestionContextService } from '../question-context';
import { buildPrompt } from './prompt';

export const EXAMPLES_IN_PROMPT = 3;

export interface QuestionPrompt {
  /** The conversation so far; each attempt adds the reply and the feedback on it. */
  turns: ChatTurn[];
  /** Ids of the few-shot examples in the prompt. */
  examplesUsed: string[];
}

/**
 * The first prompt of a question: the most similar stored examples, and the schema linked to
 * the question (the tables those examples use always kept) within the token budget.
 */
export async function questionPrompt(
  deps: { examples: ExampleRetriever; contexts: QuestionContextService; env: EnvDto },
  tenantId: string,
  question: string,
  ctx: QuestionContext,
  rules: { allowMutations: boolean; maxRows: number },
): Promise<QuestionPrompt> {
  const similar = await deps.examples.findSimilar(tenantId, question, {
    connectorId: ctx.connector.id,
    k: EXAMPLES_IN_PROMPT,
  });
  const required = await deps.contexts.tablesOf(
    similar.map((s) => s.example.sql),
    ctx,
  );
  const linked = linkSchema(question, await deps.contexts.linkables(ctx), {
    tokenBudget: deps.env.NL2SQL_SCHEMA_TOKEN_BUDGET,
    requiredTables: required,
    dialect: ctx.dialect,
  });
  const turns = buildPrompt({
    question,
    dialect: ctx.dialect,
    ddl: linked.ddl,
    examples: similar.map((s) => ({ question: s.example.question, sql: s.example.sql })),
    allowMutations: rules.allowMutations,
    maxRows: rules.maxRows,
  });
  return { turns, examplesUsed: similar.map((s) => s.example.id) };
}
