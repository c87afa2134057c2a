import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import { EnvDto } from '@sluice/core';
import { chartFor } from './answers/chart';
import { explainPrompt } from './generation/prompt';
import { assertWithinLimits, SqlGuard } from './guard/sql-guard';
import {
  ExecuteDto,
  ExecuteResponseDto,
  ExplainResponseDto,
  SqlDto,
  ValidateDto,
  ValidationDto,
} from './dto/nl2sql.dto';
import { LlmService } from './llm/llm.service';
import { maxRowsFor, mutationsAllowed, rejected, validationOf } from './nl2sql-rules';
import { QuestionContextService } from './question-context';
import { SqlExecutor } from './sql-executor';

/** The caller's own SQL: checked by the guard alone, run through it, or explained. */
@Injectable()
export class SqlToolsService {
  constructor(
    private readonly contexts: QuestionContextService,
    private readonly guard: SqlGuard,
    private readonly executor: SqlExecutor,
    private readonly llm: LlmService,
    private readonly env: EnvDto,
  ) {}

  /** Runs the guard alone; `fromDialect` transpiles first. Answers 200 with `ok: false` when refused. */
  async validate(auth: AuthContext, dto: ValidateDto): Promise<ValidationDto> {
    const ctx = await this.contexts.load(auth, dto.connectorId);
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
    const allowMutations = mutationsAllowed(auth, dto.allowMutations);
    const ctx = await this.contexts.load(auth, dto.connectorId);
    const maxRows = maxRowsFor(this.env, dto.maxRows);
    const checked = await this.guard.check(dto.sql, {
      dialect: ctx.dialect,
      schema: ctx.snapshot,
      allowMutations,
      maxRows,
      piiColumns: ctx.withheld,
    });
    if (!checked.ok) throw rejected(checked);
    const result = await this.executor.run(
      ctx.connector,
      checked.normalizedSql,
      allowMutations && !checked.readOnly,
      maxRows,
    );
    const response: ExecuteResponseDto = { validation: validationOf(checked), result };
    if (dto.chart) response.chart = chartFor(result.columns, result.rows);
    return response;
  }

  /** The LLM's explanation when one is configured and answers well; else one built from the parsed SQL. */
  async explain(auth: AuthContext, dto: SqlDto): Promise<ExplainResponseDto> {
    const dialect = await this.contexts.dialect(auth, dto.connectorId);
    // Sent to the LLM, and parsed for the structural explanation: no larger than the guard reads.
    assertWithinLimits(dto.sql, dialect);
    if (await this.llm.isConfigured(auth.tenantId)) {
      try {
        const reply = await this.llm.chat(auth.tenantId, explainPrompt(dto.sql, dialect));
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
    return { ...(await this.guard.explainStructure(dto.sql, dialect)), source: 'structure' };
  }
}
