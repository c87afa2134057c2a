import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '@sluice/auth';
import type { AuthContext } from '@sluice/auth';
import { DomainError, ApiErrors, ClientGone } from '@sluice/core';
import type { Response } from 'express';
import { Nl2sqlService } from '../nl2sql.service';
import { SqlToolsService } from '../sql-tools.service';
import {
  ExecuteDto,
  ExecuteResponseDto,
  ExplainResponseDto,
  QueryDto,
  QueryResponseDto,
  SqlDto,
  ValidateDto,
  ValidationDto,
} from '../dto/nl2sql.dto';

@ApiTags('nl2sql')
@Controller('nl2sql')
export class Nl2sqlController {
  constructor(
    private readonly nl2sql: Nl2sqlService,
    private readonly tools: SqlToolsService,
  ) {}

  @Post('query')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    operationId: 'nl2sql_query',
    summary: 'Ask a question: SQL generated, checked, run and explained',
    description:
      'Links the schema, retrieves examples, asks the LLM, checks its SQL with the guard and runs it read-only, ' +
      'sending the precise error back for another attempt (NL2SQL_MAX_ATTEMPTS, NL2SQL_TIME_BUDGET_MS). A question ' +
      'matching an example reuses its SQL without the LLM. `allowMutations` is for admins. Every question is ' +
      'written to history. 422 NL2SQL_FAILED when no attempt gave usable SQL (the attempts are in `details`).',
  })
  @ApiOkResponse({ type: QueryResponseDto })
  @ApiErrors(400, 404, {
    422: 'No usable SQL after the attempts',
    429: 'TOO_MANY_CONCURRENT_QUERIES: the tenant already has NL2SQL_MAX_CONCURRENT_PER_TENANT questions in flight (Retry-After)',
    502: 'LLM_UNREACHABLE, LLM_ERROR or LLM_RESPONSE_TOO_LARGE: the LLM was refused, failed or answered too much',
    503: 'LLM_NOT_CONFIGURED, or GUARD_BUSY',
    504: 'LLM_TIMEOUT',
  })
  query(
    @CurrentUser() auth: AuthContext,
    @Body() dto: QueryDto,
    @ClientGone() signal: AbortSignal,
  ): Promise<QueryResponseDto> {
    return this.nl2sql.query(auth, dto, { signal });
  }

  @Post('query/stream')
  @Authenticated()
  @ApiOperation({
    operationId: 'nl2sql_queryStream',
    summary: 'Ask a question, with one server-sent event per stage',
    description:
      'The same request as POST /nl2sql/query. Events: `stage` (data: { stage: linking | generating | validating | ' +
      'executing | answering, attempt? }) as they happen, then `result` with the same body as the plain route, or ' +
      '`error` with the error body.',
  })
  @ApiOkResponse({
    description: 'Events `stage` as the stages happen, then `result` (a QueryResponseDto) or `error` (an error body)',
    content: {
      'text/event-stream': {
        schema: { type: 'string' },
        example:
          'event: stage\ndata: {"stage":"linking"}\n\nevent: stage\ndata: {"stage":"generating","attempt":1}\n\n' +
          'event: result\ndata: {"sql":"SELECT count(*) FROM album",...}\n\n',
      },
    },
  })
  @ApiErrors(400, {
    404: 'Connector not found',
    429: 'TOO_MANY_CONCURRENT_QUERIES: the tenant already has NL2SQL_MAX_CONCURRENT_PER_TENANT questions in flight (Retry-After)',
  })
  async stream(
    @CurrentUser() auth: AuthContext,
    @Body() dto: QueryDto,
    @Res() res: Response,
    @ClientGone() signal: AbortSignal,
  ): Promise<void> {
    // Before the headers: an unknown connector is a plain 404 and a refusal a plain 429, not events.
    const slot = await this.nl2sql.admit(auth, dto.connectorId);
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    try {
      const onStage = (stage: string, detail?: Record<string, unknown>) => send('stage', { stage, ...detail });
      const body = await this.nl2sql.query(auth, dto, { onStage, signal, slot });
      send('result', body);
    } catch (error) {
      const known = error instanceof DomainError;
      send('error', {
        statusCode: known ? error.status : 500,
        error: known ? error.message : 'Internal server error',
        code: known ? error.code : 'INTERNAL_ERROR',
        ...(known && error.details ? { details: error.details } : {}),
        requestId: res.getHeader('x-request-id'),
      });
    }
    res.end();
  }

  @Post('explain')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    operationId: 'nl2sql_explain',
    summary: 'Explain SQL in words',
    description:
      'Written by the LLM when one is configured; otherwise (or when it fails) built from the parsed SQL: ' +
      'tables, joins, filters, grouping, ordering and limit. Always answers.',
  })
  @ApiOkResponse({ type: ExplainResponseDto })
  @ApiErrors(404, { 400: 'SQL_TOO_COMPLEX: past a size limit of the guard (length, tokens, nesting)' })
  explain(@CurrentUser() auth: AuthContext, @Body() dto: SqlDto): Promise<ExplainResponseDto> {
    return this.tools.explain(auth, dto);
  }

  @Post('validate')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    operationId: 'nl2sql_validate',
    summary: 'Check SQL with the guard, without running it',
    description:
      "Parses in the connector's dialect (after transpiling from `fromDialect`), checks the read-only and " +
      'function rules and the tables and columns against the cached schema, and shows the SQL that would run. ' +
      'Answers 200 with `ok: false` and the reasons when the SQL would be refused.',
  })
  @ApiOkResponse({ type: ValidationDto })
  @ApiErrors(404, {
    400: 'SQL_TOO_COMPLEX: past a size limit of the guard (length, tokens, nesting) or its time limit',
    503: 'GUARD_BUSY: every worker of the SQL guard is busy',
  })
  validate(@CurrentUser() auth: AuthContext, @Body() dto: ValidateDto): Promise<ValidationDto> {
    return this.tools.validate(auth, dto);
  }

  @Post('execute')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({
    operationId: 'nl2sql_execute',
    summary: 'Run your own SQL through the guard',
    description:
      'The same guard as generated SQL, then a read-only transaction with the statement timeout and the row cap. ' +
      '`allowMutations` is for admins (403 otherwise). 422 SQL_REJECTED with the reasons when refused.',
  })
  @ApiOkResponse({ type: ExecuteResponseDto })
  @ApiErrors(404, {
    400: 'SQL_TOO_COMPLEX: past a size limit of the guard (length, tokens, nesting) or its time limit',
    422: 'Refused by the guard, or by the database',
    503: 'GUARD_BUSY: every worker of the SQL guard is busy',
  })
  execute(@CurrentUser() auth: AuthContext, @Body() dto: ExecuteDto): Promise<ExecuteResponseDto> {
    return this.tools.execute(auth, dto);
  }
}
