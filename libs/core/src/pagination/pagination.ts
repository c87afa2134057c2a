import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { BadRequestError } from '../errors/domain-error';

/** `?limit=&cursor=` of every list route. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Page size', default: 20, minimum: 1, maximum: 100, example: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from `pagination.nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export class PaginationDto {
  @ApiProperty({ description: 'Items matching the filters, over all pages', example: 42 })
  total: number;

  @ApiProperty({ description: 'Page size used', example: 20 })
  limit: number;

  @ApiProperty({ description: 'Whether another page follows', example: true })
  hasMore: boolean;

  @ApiProperty({
    description: 'Pass as `cursor` to get the next page',
    nullable: true,
    type: String,
    example: 'eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ',
  })
  nextCursor: string | null;
}

export interface Page<T> {
  data: T[];
  pagination: PaginationDto;
}

/** Position after the last item of a page: keyset pagination on (createdAt, id), newest first. */
export interface Keyset {
  createdAt: Date;
  id: string;
}

export function encodeCursor(key: Keyset): string {
  return Buffer.from(JSON.stringify({ t: key.createdAt.toISOString(), i: key.id })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Keyset | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    const createdAt = new Date(String(parsed.t));
    if (typeof parsed.i !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad cursor');
    return { createdAt, id: parsed.i };
  } catch {
    throw new BadRequestError('INVALID_CURSOR', 'cursor is not one this API issued; start again without it');
  }
}

/**
 * Builds a page from `limit + 1` rows fetched in keyset order: the extra row only says
 * whether another page follows.
 */
export function toPage<E, T>(
  rows: E[],
  total: number,
  limit: number,
  map: (row: E) => T,
  keyOf: (row: E) => Keyset = (row) => row as unknown as Keyset,
): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return {
    data: items.map(map),
    pagination: { total, limit, hasMore, nextCursor: hasMore && last ? encodeCursor(keyOf(last)) : null },
  };
}

export const DEFAULT_PAGE_SIZE = 20;
