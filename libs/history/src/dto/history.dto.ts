import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Paginated } from '@sluice/core';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** The largest page of history (more than other lists: the history is read in bulk for audits). */
export const HISTORY_MAX_PAGE = 500;

// Anything but a known spelling stays a string, so IsBoolean refuses it.
const toBool = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

export class TokenUsageDto {
  @ApiProperty({ example: 812 }) promptTokens: number;
  @ApiProperty({ example: 64 }) completionTokens: number;
}

export class ListHistoryQueryDto {
  @ApiPropertyOptional({
    description: 'Page size',
    default: 20,
    minimum: 1,
    maximum: HISTORY_MAX_PAGE,
    example: 20,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(HISTORY_MAX_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from `pagination.nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;

  @ApiPropertyOptional({
    description: 'Matches question or SQL, case-insensitive (served by a trigram index)',
    example: 'invoice',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ description: 'Only entries of this connector', example: 'conn_4k2x9q0m1v7b3n8c' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  connectorId?: string;

  @ApiPropertyOptional({ description: 'Only successful (true) or failed (false) entries', type: Boolean })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  ok?: boolean;
}

export class HistoryEntryResponseDto {
  @ApiProperty({ example: 'hist_3k8m2n9b4v7c1x0z' }) id: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Who asked; null for an API key or a deleted user',
    example: 'usr_4k2x9q0m1v7b3n8c',
  })
  userId: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Null once the connector is deleted',
    example: 'conn_4k2x9q0m1v7b3n8c',
  })
  connectorId: string | null;
  @ApiProperty({ example: 'How many tracks are in each genre?' }) question: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'SELECT g.name, COUNT(*) FROM genre g JOIN track t ON t.genre_id = g.genre_id GROUP BY g.name',
  })
  sql: string | null;
  @ApiProperty({ description: 'Whether the SQL ran', example: true }) ok: boolean;
  @ApiProperty({ type: Number, nullable: true, example: 25 }) rowCount: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why it failed', example: null }) error: string | null;
  @ApiProperty({ example: 840 }) durationMs: number;
  @ApiProperty({ description: 'Generate-and-validate rounds it took', example: 1 }) attempts: number;
  @ApiProperty({
    type: TokenUsageDto,
    nullable: true,
    description: 'LLM tokens the question used; null when no LLM was called',
  })
  usage: TokenUsageDto | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'The example it was promoted to, or the stored example that answered it as asked, while that example exists',
    example: null,
  })
  exampleId: string | null;
}

export class HistoryPageDto extends Paginated(HistoryEntryResponseDto) {}
