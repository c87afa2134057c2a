import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
// The built-in dialects are registered when the connectors lib loads (enums below read them).
import '@sluice/connectors';
import { PaginationDto, dialectNames } from '@sluice/core';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

export const SCHEMA_PAGE_DEFAULT = 100;
export const SCHEMA_PAGE_MAX = 1000;

export class SchemaTablesQueryDto {
  @ApiPropertyOptional({
    description: 'Only tables whose name, columns, comments or annotations contain this text (case-insensitive)',
    example: 'invoice',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({
    description: 'Only these tables: comma-separated names, schema-qualified or bare',
    example: 'public.album,artist',
  })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  tables?: string;

  @ApiPropertyOptional({
    description: 'Tables per page',
    default: SCHEMA_PAGE_DEFAULT,
    minimum: 1,
    maximum: SCHEMA_PAGE_MAX,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(SCHEMA_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from `pagination.nextCursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  cursor?: string;
}

export class SchemaQueryDto extends SchemaTablesQueryDto {
  @ApiPropertyOptional({
    description: 'Introspect the database now instead of answering from the cache',
    default: false,
  })
  @IsOptional()
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  @IsBoolean()
  refresh?: boolean;
}

export class SchemaColumnDto {
  @ApiProperty({ example: 'title' }) name: string;
  @ApiProperty({ example: 'character varying(160)' }) type: string;
  @ApiProperty({ example: false }) nullable: boolean;
  @ApiProperty({ example: false }) primaryKey: boolean;
  @ApiProperty({ type: String, nullable: true, example: null }) default: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The annotation's description, else the database comment",
    example: 'Title as printed on the cover',
  })
  description: string | null;
  @ApiProperty({ type: [String], example: ['pii'] }) tags: string[];
  @ApiProperty({ type: String, nullable: true, description: 'Instructions for NL2SQL about this column' })
  context: string | null;
}

export class SchemaForeignKeyDto {
  @ApiProperty({ example: 'fk_track_album_id' }) name: string;
  @ApiProperty({ type: [String], example: ['album_id'] }) columns: string[];
  @ApiProperty({ type: String, nullable: true, example: 'public' }) referencedSchema: string | null;
  @ApiProperty({ example: 'album' }) referencedTable: string;
  @ApiProperty({ type: [String], example: ['album_id'] }) referencedColumns: string[];
}

export class SchemaTableDto {
  @ApiProperty({ type: String, nullable: true, example: 'public' }) schema: string | null;
  @ApiProperty({ example: 'album' }) name: string;
  @ApiProperty({ enum: ['table', 'view'], example: 'table' }) kind: 'table' | 'view';
  @ApiProperty({ type: String, nullable: true, example: 'Albums of the catalog' }) description: string | null;
  @ApiProperty({ type: [String], example: ['catalog'] }) tags: string[];
  @ApiProperty({ type: String, nullable: true, description: 'Instructions for NL2SQL about this table' })
  context: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 347 }) rowEstimate: number | null;
  @ApiProperty({ description: 'Marked trained with POST /connectors/{id}/train', example: false }) trained: boolean;
  @ApiProperty({ type: [String], example: ['album_id'] }) primaryKey: string[];
  @ApiProperty({ type: [SchemaColumnDto] }) columns: SchemaColumnDto[];
  @ApiProperty({ type: [SchemaForeignKeyDto] }) foreignKeys: SchemaForeignKeyDto[];
}

export class RelationshipDto {
  @ApiProperty({ example: 'fk_track_album_id' }) name: string;
  @ApiProperty({ example: 'public.track' }) fromTable: string;
  @ApiProperty({ type: [String], example: ['album_id'] }) fromColumns: string[];
  @ApiProperty({ example: 'public.album' }) toTable: string;
  @ApiProperty({ type: [String], example: ['album_id'] }) toColumns: string[];
  @ApiProperty({ enum: ['many_to_one'], example: 'many_to_one' }) kind: 'many_to_one';
}

class SchemaHeaderDto {
  @ApiProperty({ example: 'conn_4k2x9q0m1v7b3n8c' }) connectorId: string;
  @ApiProperty({ enum: dialectNames(), example: 'postgresql' }) dialect: string;
  @ApiProperty({ example: 'chinook' }) database: string;
  @ApiProperty({ type: String, format: 'date-time' }) introspectedAt: string;
  @ApiProperty({ description: 'SHA-256 of the introspected tables', example: '9f86d081884c7d65…' })
  fingerprint: string;
  @ApiProperty({
    description: 'Changes whenever the schema or an annotation changes: a cache key for what is built on it',
    example: '9f86d081884c7d65….3',
  })
  version: string;
  @ApiProperty({
    description: 'Older than SCHEMA_CACHE_TTL_SECONDS: served as is while a refresh runs in the background',
    example: false,
  })
  stale: boolean;
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}

export class SchemaResponseDto extends SchemaHeaderDto {
  @ApiProperty({ type: [SchemaTableDto] }) tables: SchemaTableDto[];
  @ApiProperty({ type: [RelationshipDto], description: 'Foreign keys from or to the tables of this page' })
  relationships: RelationshipDto[];
}

export class SchemaTableSummaryDto {
  @ApiProperty({ type: String, nullable: true, example: 'public' }) schema: string | null;
  @ApiProperty({ example: 'album' }) name: string;
  @ApiProperty({ enum: ['table', 'view'], example: 'table' }) kind: 'table' | 'view';
  @ApiProperty({ example: 3 }) columnCount: number;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 347 }) rowEstimate: number | null;
  @ApiProperty({ example: false }) trained: boolean;
}

export class SchemaTablesResponseDto extends SchemaHeaderDto {
  @ApiProperty({ type: [SchemaTableSummaryDto] }) tables: SchemaTableSummaryDto[];
}

const TAG = /^[a-z0-9][a-z0-9_.:-]*$/;

export class UpsertAnnotationDto {
  @ApiProperty({ description: 'Table name, schema-qualified or bare', example: 'public.customer' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  table: string;

  @ApiPropertyOptional({ description: 'A column of the table; omit to annotate the table itself', example: 'email' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  column?: string;

  @ApiPropertyOptional({ description: 'What it holds, in words', example: "Customer's e-mail address" })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  description?: string;

  @ApiPropertyOptional({
    description: 'Lower-case tags; `pii` withholds the column from viewers in NL2SQL results',
    example: ['pii'],
    type: [String],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  @Matches(TAG, { each: true, message: 'each tag must be lower-case letters, digits, _ . : or -' })
  tags?: string[];

  @ApiPropertyOptional({
    description: 'Instructions for NL2SQL, e.g. how to join or filter',
    example: 'Join to invoice on customer_id for purchases',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  context?: string;
}

export class AnnotationResponseDto {
  @ApiProperty({ example: 'ann_5d8f2k1m4n7b0v3c' }) id: string;
  @ApiProperty({ example: 'conn_4k2x9q0m1v7b3n8c' }) connectorId: string;
  @ApiProperty({ example: 'public.customer' }) table: string;
  @ApiProperty({ type: String, nullable: true, example: 'email' }) column: string | null;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ type: [String], example: ['pii'] }) tags: string[];
  @ApiProperty({ type: String, nullable: true }) context: string | null;
  @ApiProperty({
    description: 'Its table or column is gone from the database; kept until deleted, not merged',
    example: false,
  })
  orphaned: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class AnnotationListQueryDto {
  @ApiPropertyOptional({ description: 'Only the annotations of this table', example: 'public.customer' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  table?: string;

  @ApiPropertyOptional({ description: 'Only orphaned (true) or live (false) annotations' })
  @IsOptional()
  @Transform(({ value }) =>
    value === 'true' || value === true ? true : value === 'false' || value === false ? false : value,
  )
  @IsBoolean()
  orphaned?: boolean;
}

export class AnnotationListDto {
  @ApiProperty({ type: [AnnotationResponseDto] }) data: AnnotationResponseDto[];
}
