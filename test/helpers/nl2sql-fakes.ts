import type { HistoryRecord, HistoryService } from '@sluice/history';
import type { ExampleRetriever, SimilarExample } from '@sluice/examples';
import type { ConcurrencySlots } from '@sluice/core';
import { EnvDto } from '@sluice/core';
import type { QueryResult } from '@sluice/connectors';
import type { AuthContext } from '@sluice/auth';
import type { ConnectorEntity } from '@sluice/connectors/testing';
import type {
  ChatTurn,
  GuardOptions,
  GuardResult,
  LlmReply,
  LlmService,
  QuestionContext,
  QuestionContextService,
  SqlExecutor,
  SqlGuard,
} from '@sluice/nl2sql/testing';
import { Nl2sqlService } from '@sluice/nl2sql/testing';

/**
 * In-memory stand-ins for the collaborators of Nl2sqlService: no database, no LLM, no worker
 * threads. Each records what it was asked, and answers from a script the test sets.
 */

export const viewer: AuthContext = { tenantId: 'ten_1', userId: 'usr_1', role: 'viewer', via: 'jwt' };
export const admin: AuthContext = { ...viewer, role: 'admin' };

/** A wall clock the test moves: the run's deadline is read from Date.now(). */
export class FakeClock {
  now = 1_000_000;
  private spy?: jest.SpiedFunction<typeof Date.now>;

  install(): this {
    this.spy = jest.spyOn(Date, 'now').mockImplementation(() => this.now);
    return this;
  }

  uninstall(): void {
    this.spy?.mockRestore();
  }
}

/** Replies in the order scripted; each call may move the clock (an LLM that takes time). */
export class ScriptedLlm {
  readonly calls: Array<{ tenantId: string; turns: ChatTurn[]; signal?: AbortSignal }> = [];
  private readonly replies: Array<LlmReply | Error> = [];

  constructor(
    private readonly clock?: FakeClock,
    private readonly msPerCall = 0,
  ) {}

  reply(text: string, promptTokens = 10, completionTokens = 5): this {
    this.replies.push({ text, usage: { promptTokens, completionTokens } });
    return this;
  }

  fail(error: Error): this {
    this.replies.push(error);
    return this;
  }

  chat(tenantId: string, turns: ChatTurn[], signal?: AbortSignal): Promise<LlmReply> {
    // A copy: the service keeps adding to the same conversation.
    this.calls.push({ tenantId, turns: [...turns], signal });
    if (this.clock) this.clock.now += this.msPerCall;
    const next = this.replies.shift();
    if (!next) return Promise.reject(new Error('the scripted LLM has no reply left'));
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }
}

const accepted = (sql: string, options: GuardOptions): GuardResult => ({
  ok: true,
  dialect: options.dialect,
  normalizedSql: `${sql} LIMIT ${options.maxRows}`,
  errors: [],
  warnings: [],
  statementKind: 'select',
  readOnly: true,
  tables: ['public.album'],
});

/** Accepts every statement except those given a refusal. */
export class FakeGuard {
  readonly checked: Array<{ sql: string; options: GuardOptions }> = [];
  private readonly refusals = new Map<string, { code: string; message: string }>();
  private readonly throwing = new Map<string, Error>();

  refuse(sql: string, code: string, message: string): this {
    this.refusals.set(sql, { code, message });
    return this;
  }

  throwOn(sql: string, error: Error): this {
    this.throwing.set(sql, error);
    return this;
  }

  check(sql: string, options: GuardOptions): Promise<GuardResult> {
    this.checked.push({ sql, options });
    const error = this.throwing.get(sql);
    if (error) return Promise.reject(error);
    const refusal = this.refusals.get(sql);
    if (!refusal) return Promise.resolve(accepted(sql, options));
    return Promise.resolve({ ...accepted(sql, options), ok: false, normalizedSql: sql, errors: [refusal] });
  }
}

export const resultOf = (rows: unknown[][]): QueryResult => ({
  columns: [{ name: 'n', type: 'integer' }],
  rows,
  rowCount: rows.length,
  truncated: false,
  truncatedReason: null,
  executionMs: 1,
});

/** Runs every statement with one row, except those given an error. */
export class FakeExecutor {
  readonly ran: Array<{ sql: string; writes: boolean; maxRows: number }> = [];
  private readonly errors = new Map<string, Error>();

  failOn(sql: string, error: Error): this {
    this.errors.set(sql, error);
    return this;
  }

  run(_connector: ConnectorEntity, sql: string, writes: boolean, maxRows: number): Promise<QueryResult> {
    this.ran.push({ sql, writes, maxRows });
    const error = this.errors.get(sql);
    return error ? Promise.reject(error) : Promise.resolve(resultOf([[347]]));
  }
}

/** Stored examples: an exact match by question, and the similar ones for the prompt. */
export class FakeExamples {
  exact: { id: string; question: string; sql: string } | null = null;
  similar: SimilarExample[] = [];
  readonly exactAsked: string[] = [];

  findExact(_tenantId: string, question: string): Promise<unknown> {
    this.exactAsked.push(question);
    return Promise.resolve(this.exact && this.exact.question === question ? this.exact : null);
  }

  findSimilar(): Promise<SimilarExample[]> {
    return Promise.resolve(this.similar);
  }
}

/** History kept in memory, each entry copied as it was when recorded. */
export class FakeHistory {
  readonly entries: HistoryRecord[] = [];

  record(entry: HistoryRecord): Promise<{ id: string }> {
    this.entries.push({ ...entry, usage: entry.usage ? { ...entry.usage } : entry.usage });
    return Promise.resolve({ id: `hist_${this.entries.length}` });
  }
}

export const questionContext: QuestionContext = {
  connector: { id: 'con_1', tenantId: 'ten_1' } as ConnectorEntity,
  dialect: 'postgresql',
  snapshot: { dialect: 'postgresql', tables: [] } as unknown as QuestionContext['snapshot'],
  schemaVersion: 'fingerprint.0',
  annotations: [],
  withheld: [],
};

export class FakeContexts {
  load(): Promise<QuestionContext> {
    return Promise.resolve(questionContext);
  }

  dialect(): Promise<string> {
    return Promise.resolve('postgresql');
  }

  linkables(): Promise<[]> {
    return Promise.resolve([]);
  }

  tablesOf(): Promise<string[]> {
    return Promise.resolve([]);
  }
}

export class FakeSlots {
  held = 0;

  tryAcquire(): Promise<{ release(): void }> {
    this.held++;
    return Promise.resolve({ release: () => void this.held-- });
  }
}

export interface Nl2sqlFakes {
  contexts: FakeContexts;
  executor: FakeExecutor;
  examples: FakeExamples;
  history: FakeHistory;
  llm: ScriptedLlm;
  guard: FakeGuard;
  env: EnvDto;
  slots: FakeSlots;
}

/** The service over fakes; `env` overrides the few settings a question reads. */
export function nl2sqlWithFakes(
  llm: ScriptedLlm,
  env: Partial<EnvDto> = {},
): { service: Nl2sqlService; fakes: Nl2sqlFakes } {
  const fakes: Nl2sqlFakes = {
    contexts: new FakeContexts(),
    executor: new FakeExecutor(),
    examples: new FakeExamples(),
    history: new FakeHistory(),
    llm,
    guard: new FakeGuard(),
    env: Object.assign(new EnvDto(), {
      NL2SQL_MAX_ATTEMPTS: 3,
      NL2SQL_TIME_BUDGET_MS: 60_000,
      SQL_MAX_ROWS: 1000,
      ...env,
    }),
    slots: new FakeSlots(),
  };
  const service = new Nl2sqlService(
    fakes.contexts as unknown as QuestionContextService,
    fakes.executor as unknown as SqlExecutor,
    fakes.examples as unknown as ExampleRetriever,
    fakes.history as unknown as HistoryService,
    fakes.llm as unknown as LlmService,
    fakes.guard as unknown as SqlGuard,
    fakes.env,
    fakes.slots as unknown as ConcurrencySlots,
  );
  return { service, fakes };
}
