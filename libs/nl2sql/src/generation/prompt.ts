import type { SqlDialect } from '@sluice/core';
import type { ChatTurn } from '../llm/llm.service';
import { dialectHint } from '../sql-dialects';

export interface PromptParts {
  question: string;
  dialect: SqlDialect;
  /** DDL of the tables chosen for the question, annotations (descriptions, tags, instructions) as comments. */
  ddl: string;
  examples: Array<{ question: string; sql: string }>;
  allowMutations: boolean;
  maxRows: number;
}

/** The first turns of a question: rules, schema, instructions and examples, then the question. */
export function buildPrompt(p: PromptParts): ChatTurn[] {
  const system = [
    `You turn questions about a ${p.dialect} database into exactly one SQL statement.`,
    p.allowMutations
      ? 'The statement may change data only if the question plainly asks for it.'
      : 'The statement must only read data: SELECT (or WITH ... SELECT), never a write, DDL or a lock.',
    'Use only the tables and columns in the schema below; qualify columns when several tables are joined.',
    `Return at most ${p.maxRows} rows.`,
    dialectHint(p.dialect),
    'Answer with the SQL in one ```sql fenced block and nothing else.',
  ].join('\n');
  const sections = [`Schema:\n${p.ddl}`];
  if (p.examples.length) {
    sections.push(
      `Examples:\n${p.examples.map((e) => `Question: ${e.question}\n\`\`\`sql\n${e.sql}\n\`\`\``).join('\n\n')}`,
    );
  }
  sections.push(`Question: ${p.question}`);
  return [
    { role: 'system', content: system },
    { role: 'user', content: sections.join('\n\n') },
  ];
}

/** The turn that sends a failed attempt back: the exact reason, and what to do. */
export function feedbackTurn(reason: string): ChatTurn {
  return {
    role: 'user',
    content: `That SQL could not be used: ${reason}\nFix it and answer with the corrected SQL in one \`\`\`sql block.`,
  };
}

const MAX_VALUE_CHARS = 200;

/** Turns asking for a short answer in words from a bounded sample of the result. */
export function answerPrompt(
  question: string,
  columns: string[],
  rows: unknown[][],
  rowCount: number,
  truncated: boolean,
): ChatTurn[] {
  // A result may hold megabytes in one value: the prompt gets the start of each.
  const shown = (v: unknown) => (v === null ? 'NULL' : String(v).slice(0, MAX_VALUE_CHARS));
  const sample = rows.slice(0, 20).map((r) => r.map(shown).join(' | '));
  return [
    {
      role: 'system',
      content: 'You answer a question in one to three plain sentences from a query result. Do not invent numbers.',
    },
    {
      role: 'user',
      content:
        `Question: ${question}\nResult (${rowCount} row(s)${truncated ? ', cut at the size limit' : ''}; ` +
        `first ${sample.length} shown):\n${columns.join(' | ')}\n${sample.join('\n')}`,
    },
  ];
}

/** Turns asking for an explanation of SQL as JSON: { markdown, steps: [{ title, body }] }. */
export function explainPrompt(sql: string, dialect: SqlDialect): ChatTurn[] {
  return [
    {
      role: 'system',
      content:
        'You explain SQL to a business user. Answer with JSON only: {"markdown": "...", "steps": [{"title": "...", "body": "..."}]} ' +
        '— a short markdown summary, then one step per part of the query (sources, joins, filters, grouping, ordering, limit).',
    },
    { role: 'user', content: `Explain this ${dialect} query:\n\`\`\`sql\n${sql}\n\`\`\`` },
  ];
}
