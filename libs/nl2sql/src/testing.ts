// The test harness's second face: what tests may reach beyond the public face (index.ts) to seed
// and inspect rows or to drive a part directly. Only test code may import '@sluice/nl2sql/testing'
// (the lint rule `sluice/public-faces` refuses it elsewhere).

export { SqlGuard } from './guard/sql-guard';
export { checkSql } from './guard/sql-check';
export type { GuardOptions, GuardResult } from './guard/sql-guard';
export { LlmService } from './llm/llm.service';
export type { ChatTurn, LlmReply } from './llm/llm.service';
export { Nl2sqlService } from './nl2sql.service';
export { QuestionContextService } from './question-context';
export type { QuestionContext } from './question-context';
export { SqlExecutor } from './sql-executor';
export { linkSchema } from './context/schema-linker';
export type { LinkableTable, LinkedSchema } from './context/schema-linker';
export { estimateTokens, renderDdl, renderTableDdl } from './context/prompt-ddl';
export { linkTerms } from './context/schema-words';
