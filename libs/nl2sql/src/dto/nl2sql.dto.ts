import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
// The built-in dialects are registered when the connectors lib loads (enums below read them).
import '@sluice/connectors';
import { dialectNames, type SqlDialect, IsSqlDialect } from '@sluice/core';
import { IsBoolean, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import type { ResponseWarning } from '../answers/response-warning';

export class QueryDto {
  @ApiProperty({ example: 'conn_4k2x9q0m1v7b3n8c' })
  @IsString()
  @MaxLength(40)
  connectorId: string;

  @ApiProperty({ example: 'Which five genres have the most tracks?' })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  question: string;

  @ApiPropertyOptional({ description: 'Let the SQL change data (admins only; 403 for others)', default: false })
  @IsOptional()
  @IsBoolean()
  allowMutations?: boolean;

  @ApiPropertyOptional({ description: 'Rows returned at most (also the LIMIT the guard applies)', example: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxRows?: number;

  @ApiPropertyOptional({ description: 'false: return the checked SQL without running it', default: true })
  @IsOptional()
  @IsBoolean()
  execute?: boolean;

  @ApiPropertyOptional({ description: 'Add a short answer in words, written by the LLM from a sample of the result' })
  @IsOptional()
  @IsBoolean()
  answer?: boolean;

  @ApiPropertyOptional({ description: 'Add a Vega-Lite chart chosen by rule from the result columns' })
  @IsOptional()
  @IsBoolean()
  chart?: boolean;
}

export class SqlDto {
  @ApiProperty({ example: 'conn_4k2x9q0m1v7b3n8c' })
  @IsString()
  @MaxLength(40)
  connectorId: string;

  @ApiProperty({ example: 'SELECT name FROM genre ORDER BY name' })
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  sql: string;
}

export class ValidateDto extends SqlDto {
  @ApiPropertyOptional({ enum: dialectNames(), description: "Transpile from this dialect to the connector's first" })
  @IsOptional()
  @IsSqlDialect()
  fromDialect?: SqlDialect;
}

export class ExecuteDto extends SqlDto {
  @ApiPropertyOptional({ description: 'Add a Vega-Lite chart chosen by rule from the result columns', default: false })
  @IsOptional()
  @IsBoolean()
  chart?: boolean;

  @ApiPropertyOptional({ description: 'Let the SQL change data (admins only)', default: false })
  @IsOptional()
  @IsBoolean()
  allowMutations?: boolean;

  @ApiPropertyOptional({ example: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxRows?: number;
}

export class GuardIssueDto {
  @ApiProperty({ example: 'UNKNOWN_COLUMN' }) code: string;
  @ApiProperty({ example: 'Unknown column "customer.emial"' }) message: string;
  @ApiPropertyOptional({ example: 1 }) line?: number;
  @ApiPropertyOptional({ example: 8 }) column?: number;
}

export class ValidationDto {
  @ApiProperty({ example: true }) ok: boolean;
  @ApiProperty({ example: 'postgresql' }) dialect: string;
  @ApiProperty({
    description: 'What runs: transpiled, with the LIMIT applied',
    example: 'SELECT name FROM genre LIMIT 100',
  })
  normalizedSql: string;
  @ApiProperty({ type: [GuardIssueDto] }) errors: GuardIssueDto[];
  @ApiProperty({ type: [GuardIssueDto] }) warnings: GuardIssueDto[];
}

export class ResultColumnDto {
  @ApiProperty({ example: 'name' }) name: string;
  @ApiProperty({ example: 'varchar' }) type: string;
}

export class QueryResultDto {
  @ApiProperty({ type: [ResultColumnDto] }) columns: ResultColumnDto[];
  @ApiProperty({
    description:
      'Rows as arrays in column order; dates as ISO strings, bytes as base64. bigint and numeric/decimal values ' +
      'are JSON numbers when exact (integers within ±(2^53 − 1), decimals that a double writes with the same ' +
      'digits) and strings otherwise, so no digit is lost',
    type: 'array',
    items: { type: 'array', items: {} },
    example: [['Rock', 1297]],
  })
  rows: unknown[][];
  @ApiProperty({ example: 1 }) rowCount: number;
  @ApiProperty({
    description: 'The rows were cut: more rows existed than maxRows, or their values exceeded the byte budget',
    example: false,
  })
  truncated: boolean;
  @ApiProperty({
    enum: ['rows', 'bytes'],
    nullable: true,
    description:
      'Why the rows were cut: the row cap (maxRows) or the byte budget (RESULT_MAX_BYTES); null when not cut',
    example: null,
  })
  truncatedReason: 'rows' | 'bytes' | null;
  @ApiProperty({ example: 12 }) executionMs: number;
}

export class AttemptDto {
  @ApiProperty({ example: 1 }) index: number;
  @ApiProperty({ enum: ['llm', 'example'], example: 'llm' }) source: 'llm' | 'example';
  @ApiProperty({ type: String, nullable: true, example: 'SELECT ...' }) sql: string | null;
  @ApiProperty({ example: false }) validationOk: boolean;
  @ApiProperty({ type: [GuardIssueDto] }) validationErrors: GuardIssueDto[];
  @ApiProperty({ type: String, nullable: true, example: 'column "emial" does not exist' }) executionError:
    string | null;
  @ApiProperty({ example: 840 }) durationMs: number;
}

export class UsageDto {
  @ApiProperty({ example: 812 }) promptTokens: number;
  @ApiProperty({ example: 64 }) completionTokens: number;
}

/** The chart of a question's or of one's own SQL's answer, when asked for. */
const CHART_PROPERTY = {
  type: 'object',
  additionalProperties: true,
  nullable: true,
  description: 'With `chart: true`: a Vega-Lite spec, or null when no chart fits the result',
} as const;

export class ResponseWarningDto {
  @ApiProperty({
    enum: ['ANSWER_LLM_NOT_CONFIGURED', 'ANSWER_FAILED', 'ANSWER_EMPTY', 'ANSWER_NO_RESULT', 'CHART_NO_RESULT'],
    example: 'ANSWER_LLM_NOT_CONFIGURED',
  })
  code: ResponseWarning['code'];
  @ApiProperty({ example: 'No answer in words: no LLM is configured for this tenant (PUT /settings/llm)' })
  message: string;
}

export class QueryResponseDto {
  @ApiProperty({ type: String, nullable: true, example: 'SELECT g.name, count(*) ...' }) sql: string | null;
  @ApiProperty({ type: ValidationDto, nullable: true }) validation: ValidationDto | null;
  @ApiProperty({ type: QueryResultDto, nullable: true, description: 'Null with `execute: false`' })
  result: QueryResultDto | null;
  @ApiProperty({ type: [AttemptDto] }) attempts: AttemptDto[];
  @ApiProperty({ type: [String], example: ['public.genre', 'public.track'] }) tablesUsed: string[];
  @ApiProperty({
    type: [String],
    description: 'Ids of the few-shot examples in the prompt',
    example: ['ex_2k1m4n7b0v3c6x8f'],
  })
  examplesUsed: string[];
  @ApiProperty({ type: UsageDto }) usage: UsageDto;
  @ApiProperty({ example: 'hist_7b0v3c6x8f2k1m4n' }) historyId: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'With `answer: true`' }) answer?: string | null;
  @ApiPropertyOptional(CHART_PROPERTY)
  chart?: Record<string, unknown> | null;
  @ApiProperty({
    type: [ResponseWarningDto],
    description:
      'What the answer lacks and why, though the question succeeded: no answer in words (no LLM configured, ' +
      'the call failed) or no chart or answer because the SQL was not run. Empty when nothing is missing.',
  })
  warnings: ResponseWarningDto[];
}

export class ExecuteResponseDto {
  @ApiProperty({ type: ValidationDto }) validation: ValidationDto;
  @ApiProperty({ type: QueryResultDto }) result: QueryResultDto;
  @ApiPropertyOptional(CHART_PROPERTY)
  chart?: Record<string, unknown> | null;
}

export class ExplainStepDto {
  @ApiProperty({ example: 'Joins' }) title: string;
  @ApiProperty({ example: 'Matches rows on `track.genre_id = genre.genre_id`.' }) body: string;
}

export class ExplainResponseDto {
  @ApiProperty({ example: '**Sources.** Reads `track`, `genre`.' }) markdown: string;
  @ApiProperty({ type: [ExplainStepDto] }) steps: ExplainStepDto[];
  @ApiProperty({
    enum: ['llm', 'structure'],
    description: 'Written by the LLM, or built from the parsed SQL',
    example: 'structure',
  })
  source: 'llm' | 'structure';
}
