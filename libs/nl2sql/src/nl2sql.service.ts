import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth/role';
import { ConnectorEntity } from '@sluice/connectors/connector.entity';
import { ConnectorRegistry } from '@sluice/connectors/connector.registry';
import { ConnectorRuntime } from '@sluice/connectors/connector.runtime';
import { ConnectorService } from '@sluice/connectors/connector.service';
import type { QueryResult, SchemaSnapshot, SqlDialect, TableInfo } from '@sluice/connectors/plugin/connector-plugin';
import { EnvDto } from '@sluice/core/config/env.dto';
import { BadRequestError, DomainError, ForbiddenError, UnprocessableError } from '@sluice/core/errors/domain-error';
import { ExampleRetriever } from '@sluice/examples/retrieval/example-retriever';
import { extractReferences } from '@sluice/examples/sql/sql-analysis';
import { HistoryService } from '@sluice/history/history.service';
import { SchemaAnnotationEntity } from '@sluice/schema/schema-annotation.entity';
import { resolveTable, tableKey } from '@sluice/schema/schema-model';
import { SchemaRepository } from '@sluice/schema/schema.repository';
import { SchemaService } from '@sluice/schema/schema.service';
import { chartFor } from './answers/chart';
import { explainStructurally } from './answers/structural-explain';
import { LinkableTable, linkSchema } from './context/schema-linker';
import { answerPrompt, buildPrompt, explainPrompt, feedbackTurn } from './generation/prompt';
import { extractSql } from './generation/sql-extract';
import { GuardResult, SqlGuard } from './guard/sql-guard';
import {
  AttemptDto,
  ExecuteDto,
  ExecuteResponseDto,
  ExplainResponseDto,
  QueryDto,
  QueryResponseDto,
  SqlDto,
  ValidateDto,
  ValidationDto,
} from './http/dto/nl2sql.dto';
import { ChatTurn, LlmService, TokenUsage } from './llm/llm.service';

export type Stage = 'linking' | 'generating' | 'validating' | 'executing' | 'answering';
export type StageListener = (stage: Stage, detail?: Record<string, unknown>) => void;

/** Everything a question about one connector is answered from: nothing else of the tenant's. */
interface QuestionContext {
  connector: ConnectorEntity;
  dialect: SqlDialect;
  snapshot: SchemaSnapshot;
  annotations: SchemaAnnotationEntity[];
  trained: Set<string>;
  /** Columns withheld from this caller (pii, for viewers). */
  withheld: Array<{ table: string; column: string }>;
}

const EXAMPLES_IN_PROMPT = 3;

function validationOf(result: GuardResult): ValidationDto {
  return {
    ok: result.ok,
    dialect: result.dialect,
    normalizedSql: result.normalizedSql,
    errors: result.errors,
    warnings: result.warnings,
  };
}

const reasonOf = (result: GuardResult) => result.errors.map((e) => e.message).join('; ');

/**
 * Questions to SQL: context (linked schema, examples, instructions) → LLM → SQL extracted →
 * guard → run, with the precise error sent back for another attempt, within NL2SQL_MAX_ATTEMPTS
 * and a wall-clock budget. An exact example match answers without the LLM. Every question,
 * answered or not, is written to history.
 */
@Injectable()
export class Nl2sqlService {
  constructor(
    private readonly connectors: ConnectorService,
    private readonly registry: ConnectorRegistry,
    private readonly runtime: ConnectorRuntime,
    private readonly schema: SchemaService,
    private readonly schemaRepo: SchemaRepository,
    private readonly examples: ExampleRetriever,
    private readonly history: HistoryService,
    private readonly llm: LlmService,
    private readonly guard: SqlGuard,
    private readonly env: EnvDto,
  ) {}

  async query(auth: AuthContext, dto: QueryDto, onStage: StageListener = () => undefined): Promise<QueryResponseDto> {
    const started = Date.now();
    const allowMutations = this.mutationsAllowed(auth, dto.allowMutations);
    const maxRows = Math.min(dto.maxRows ?? this.env.SQL_MAX_ROWS, this.env.SQL_MAX_ROWS);
    const execute = dto.execute ?? true;
    const ctx = await this.context(auth, dto.connectorId);
    const attempts: AttemptDto[] = [];
    const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
    let tablesUsed: string[] = [];
    let examplesUsed: string[] = [];

    const finish = async (outcome: {
      sql: string | null;
      validation: GuardResult | null;
      result: QueryResult | null;
      error?: string;
    }): Promise<QueryResponseDto> => {
      const entry = await this.history.record({
        tenantId: auth.tenantId,
        userId: auth.userId,
        connectorId: dto.connectorId,
        question: dto.question,
        sql: outcome.sql,
        ok: !outcome.error,
        rowCount: outcome.result?.rowCount ?? null,
        error: outcome.error ?? null,
        durationMs: Date.now() - started,
        attempts: attempts.length,
        usage: usage.promptTokens || usage.completionTokens ? usage : null,
      });
      return {
        sql: outcome.sql,
        validation: outcome.validation ? validationOf(outcome.validation) : null,
        result: outcome.result,
        attempts,
        tablesUsed,
        examplesUsed,
        usage,
        historyId: entry.id,
      };
    };
    const fail = async (error: DomainError, sql: string | null): Promise<never> => {
      const { historyId } = await finish({ sql, validation: null, result: null, error: error.message });
      // The attempts and the history entry travel with the error, so a client can show what was tried.
      throw new DomainError(error.status, error.code, error.message, [
        ...((error.details as unknown[] | undefined) ?? []),
        { historyId, attempts },
      ]);
    };

    try {
      const body = await this.answer(auth, dto, ctx, {
        allowMutations,
        maxRows,
        execute,
        attempts,
        usage,
        onStage,
        started,
      });
      tablesUsed = body.tablesUsed;
      examplesUsed = body.examplesUsed;
      const response = await finish(body);
      if (dto.chart) response.chart = body.result ? chartFor(body.result.columns, body.result.rows) : null;
      if (dto.answer)
        response.answer = body.result ? await this.sayAnswer(auth, dto.question, body.result, usage, onStage) : null;
      return response;
    } catch (error) {
      if (error instanceof DomainError) return fail(error, attempts[attempts.length - 1]?.sql ?? null);
      throw error;
    }
  }

  /** Runs the guard alone; `fromDialect` transpiles first. Answers 200 with `ok: false` when refused. */
  async validate(auth: AuthContext, dto: ValidateDto): Promise<ValidationDto> {
    const ctx = await this.context(auth, dto.connectorId);
    const checked = await this.guard.check(dto.sql, {
      dialect: ctx.dialect,
      schema: ctx.snapshot,
      maxRows: this.env.SQL_MAX_ROWS,
      fromDialect: dto.fromDialect,
      piiColumns: ctx.withheld,
    });
    return validationOf(checked);
  }

  /** The caller's own SQL through the same guard, then run; 422 with the reasons when refused. */
  async execute(auth: AuthContext, dto: ExecuteDto): Promise<ExecuteResponseDto> {
    const allowMutations = this.mutationsAllowed(auth, dto.allowMutations);
    const ctx = await this.context(auth, dto.connectorId);
    const maxRows = Math.min(dto.maxRows ?? this.env.SQL_MAX_ROWS, this.env.SQL_MAX_ROWS);
    const checked = await this.guard.check(dto.sql, {
      dialect: ctx.dialect,
      schema: ctx.snapshot,
      allowMutations,
      maxRows,
      piiColumns: ctx.withheld,
    });
    if (!checked.ok) throw this.rejected(checked);
    const result = await this.run(ctx, checked.normalizedSql, allowMutations && !checked.readOnly, maxRows);
    return { validation: validationOf(checked), result };
  }

  /** The LLM's explanation when one is configured and answers well; else one built from the parsed SQL. */
  async explain(auth: AuthContext, dto: SqlDto): Promise<ExplainResponseDto> {
    const ctx = await this.context(auth, dto.connectorId);
    if (await this.llm.isConfigured(auth.tenantId)) {
      try {
        const reply = await this.llm.chat(auth.tenantId, explainPrompt(dto.sql, ctx.dialect));
        const json = /\{[\s\S]*\}/.exec(reply.text)?.[0];
        const parsed = json ? (JSON.parse(json) as { markdown?: unknown; steps?: unknown }) : null;
        const steps = Array.isArray(parsed?.steps)
          ? (parsed.steps as Array<{ title?: unknown; body?: unknown }>)
              .filter((s) => typeof s.title === 'string' && typeof s.body === 'string')
              .map((s) => ({ title: String(s.title), body: String(s.body) }))
          : [];
        if (typeof parsed?.markdown === 'string' && parsed.markdown.trim()) {
          return { markdown: parsed.markdown, steps, source: 'llm' };
        }
      } catch {
        // An LLM that fails or rambles must not leave the user without an explanation.
      }
    }
    return { ...(await explainStructurally(dto.sql, ctx.dialect)), source: 'structure' };
  }

  private async answer(
    auth: AuthContext,
    dto: QueryDto,
    ctx: QuestionContext,
    run: {
      allowMutations: boolean;
      maxRows: number;
      execute: boolean;
      attempts: AttemptDto[];
      usage: TokenUsage;
      onStage: StageListener;
      started: number;
    },
  ): Promise<{
    sql: string;
    validation: GuardResult;
    result: QueryResult | null;
    tablesUsed: string[];
    examplesUsed: string[];
  }> {
    const { attempts, usage, onStage } = run;
    const deadline = run.started + this.env.NL2SQL_TIME_BUDGET_MS;
    const guardOptions = {
      dialect: ctx.dialect,
      schema: ctx.snapshot,
      allowMutations: run.allowMutations,
      maxRows: run.maxRows,
      piiColumns: ctx.withheld,
    };
    /** Checks and runs one candidate; the reason it failed, or its outcome. */
    const tryCandidate = async (source: 'llm' | 'example', sql: string | null, begun: number) => {
      const attempt: AttemptDto = {
        index: attempts.length + 1,
        source,
        sql,
        validationOk: false,
        validationErrors: [],
        executionError: null,
        durationMs: 0,
      };
      attempts.push(attempt);
      const done = <T>(value: T) => ((attempt.durationMs = Date.now() - begun), value);
      if (sql === null) {
        attempt.validationErrors = [{ code: 'NO_SQL', message: 'The reply held no SQL statement' }];
        return done({ failure: 'the reply held no SQL statement' });
      }
      onStage('validating', { attempt: attempt.index });
      const checked = await this.guard.check(sql, guardOptions);
      attempt.validationOk = checked.ok;
      attempt.validationErrors = checked.errors;
      if (!checked.ok) return done({ failure: reasonOf(checked), checked });
      if (!run.execute) return done({ checked, result: null });
      onStage('executing', { attempt: attempt.index });
      try {
        const result = await this.run(ctx, checked.normalizedSql, run.allowMutations && !checked.readOnly, run.maxRows);
        return done({ checked, result });
      } catch (error) {
        // The database's own words (unknown column, type mismatch, timeout) go back to the LLM.
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
        attempt.executionError = error.message;
        return done({ failure: `the database refused it: ${error.message}`, checked });
      }
    };

    onStage('linking');
    const exact = await this.examples.findExact(auth.tenantId, dto.question, { connectorId: ctx.connector.id });
    if (exact) {
      const outcome = await tryCandidate('example', exact.sql, Date.now());
      if (!('failure' in outcome)) {
        return {
          sql: outcome.checked.normalizedSql,
          validation: outcome.checked,
          result: outcome.result,
          tablesUsed: outcome.checked.tables,
          examplesUsed: [exact.id],
        };
      }
    }

    const similar = await this.examples.findSimilar(auth.tenantId, dto.question, {
      connectorId: ctx.connector.id,
      k: EXAMPLES_IN_PROMPT,
    });
    const required = await this.tablesOf(
      similar.map((s) => s.example.sql),
      ctx,
    );
    const linked = linkSchema(dto.question, this.linkables(ctx), {
      tokenBudget: this.env.NL2SQL_SCHEMA_TOKEN_BUDGET,
      requiredTables: required,
      dialect: ctx.dialect,
    });
    const turns: ChatTurn[] = buildPrompt({
      question: dto.question,
      dialect: ctx.dialect,
      ddl: linked.ddl,
      examples: similar.map((s) => ({ question: s.example.question, sql: s.example.sql })),
      allowMutations: run.allowMutations,
      maxRows: run.maxRows,
    });
    const examplesUsed = similar.map((s) => s.example.id);
    let lastFailure = 'no attempt was made';

    while (attempts.length < this.env.NL2SQL_MAX_ATTEMPTS) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      onStage('generating', { attempt: attempts.length + 1 });
      const begun = Date.now();
      const reply = await this.llm
        .chat(auth.tenantId, turns, AbortSignal.timeout(remaining))
        .catch((error: unknown) => {
          if (error instanceof DomainError && error.code === 'LLM_TIMEOUT' && Date.now() >= deadline - 50) {
            throw new DomainError(
              504,
              'LLM_TIMEOUT',
              `No usable SQL within the time budget of ${this.env.NL2SQL_TIME_BUDGET_MS} ms (NL2SQL_TIME_BUDGET_MS); the LLM was too slow`,
            );
          }
          throw error;
        });
      usage.promptTokens += reply.usage.promptTokens;
      usage.completionTokens += reply.usage.completionTokens;
      turns.push({ role: 'assistant', content: reply.text });
      const outcome = await tryCandidate('llm', extractSql(reply.text), begun);
      if (!('failure' in outcome)) {
        return {
          sql: outcome.checked.normalizedSql,
          validation: outcome.checked,
          result: outcome.result,
          tablesUsed: outcome.checked.tables,
          examplesUsed,
        };
      }
      lastFailure = outcome.failure;
      turns.push(feedbackTurn(outcome.failure));
    }
    const outOfTime = attempts.length < this.env.NL2SQL_MAX_ATTEMPTS;
    throw new UnprocessableError(
      'NL2SQL_FAILED',
      outOfTime
        ? `No usable SQL within the time budget of ${this.env.NL2SQL_TIME_BUDGET_MS} ms; last problem: ${lastFailure}`
        : `No usable SQL after ${attempts.length} attempt(s); last problem: ${lastFailure}`,
    );
  }

  private async sayAnswer(
    auth: AuthContext,
    question: string,
    result: QueryResult,
    usage: TokenUsage,
    onStage: StageListener,
  ): Promise<string | null> {
    onStage('answering');
    try {
      const reply = await this.llm.chat(
        auth.tenantId,
        answerPrompt(
          question,
          result.columns.map((c) => c.name),
          result.rows,
          result.rowCount,
          result.truncated,
        ),
      );
      usage.promptTokens += reply.usage.promptTokens;
      usage.completionTokens += reply.usage.completionTokens;
      return reply.text.trim() || null;
    } catch {
      return null;
    }
  }

  private mutationsAllowed(auth: AuthContext, asked: boolean | undefined): boolean {
    if (!asked) return false;
    if (auth.role !== 'admin') {
      throw new ForbiddenError('MUTATIONS_FORBIDDEN', 'Only admins may run SQL that changes data (allowMutations)');
    }
    return true;
  }

  private rejected(checked: GuardResult): UnprocessableError {
    return new UnprocessableError('SQL_REJECTED', `The SQL was refused: ${reasonOf(checked)}`, checked.errors);
  }

  private async context(auth: AuthContext, connectorId: string): Promise<QuestionContext> {
    const connector = await this.connectors.find(auth.tenantId, connectorId);
    if (!this.registry.get(connector.type).plugin.sql) {
      throw new BadRequestError(
        'CONNECTOR_NOT_SQL',
        `Questions need a SQL connector; this one is of type ${connector.type}`,
      );
    }
    const { snapshot } = await this.schema.read(auth.tenantId, connectorId);
    const [annotations, trained] = await Promise.all([
      this.schemaRepo.listAnnotations(auth.tenantId, connectorId, { orphaned: false }),
      this.schema.trainedTables(auth.tenantId, connectorId),
    ]);
    const withheld =
      auth.role === 'viewer'
        ? annotations
            .filter((a) => a.column !== null && a.tags.includes('pii'))
            .map((a) => ({ table: a.table, column: a.column! }))
        : [];
    return { connector, dialect: snapshot.dialect, snapshot, annotations, trained, withheld };
  }

  /** Tables for schema linking, annotations merged; columns withheld from this caller left out. */
  private linkables(ctx: QuestionContext): LinkableTable[] {
    return ctx.snapshot.tables.map((table: TableInfo) => {
      const key = tableKey(table);
      const notes = ctx.annotations.filter((a) => a.table === key);
      const own = notes.find((a) => a.column === null);
      const hidden = new Set(ctx.withheld.filter((w) => w.table === key).map((w) => w.column));
      const columnNotes = Object.fromEntries(
        notes
          .filter((a) => a.column !== null && !hidden.has(a.column))
          .map((a) => [a.column!, { description: a.description, tags: a.tags, context: a.context }]),
      );
      return {
        key,
        table: hidden.size ? { ...table, columns: table.columns.filter((c) => !hidden.has(c.name)) } : table,
        description: own?.description ?? table.comment,
        tags: own?.tags ?? [],
        context: own?.context ?? null,
        columnNotes,
        trained: ctx.trained.has(key),
      };
    });
  }

  /** Keys of the schema's tables that these SQL texts use (for the examples in the prompt). */
  private async tablesOf(sqls: string[], ctx: QuestionContext): Promise<string[]> {
    const keys = new Set<string>();
    for (const sql of sqls) {
      const refs = await extractReferences(sql, ctx.dialect).catch(() => ({ tables: [] }));
      for (const ref of refs.tables) {
        const table = resolveTable(ctx.snapshot.tables, ref.schema ? `${ref.schema}.${ref.name}` : ref.name);
        if (table) keys.add(tableKey(table));
      }
    }
    return [...keys];
  }

  private async run(ctx: QuestionContext, sql: string, writes: boolean, maxRows: number): Promise<QueryResult> {
    const { registered, parsed } = this.runtime.open(ctx.connector);
    const timeoutMs = this.env.SQL_STATEMENT_TIMEOUT_MS;
    const runCtx = this.runtime.context(ctx.connector.tenantId, ctx.connector.id, parsed, timeoutMs + 5_000);
    return registered.plugin.sql!.execute(runCtx, sql, { readOnly: !writes, timeoutMs, maxRows });
  }
}
