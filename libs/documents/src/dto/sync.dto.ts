import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Paginated, PageQueryDto } from '@sluice/core';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { DOCUMENT_KINDS, DOCUMENT_STATUSES, DocumentKind, DocumentStatus } from '../document.entity';
import { RUN_STATUSES, RunStatus } from '../sync-run.entity';

export class SyncQueryDto {
  @ApiPropertyOptional({ description: 'Re-sync documents whose checksum did not change', default: false })
  @IsOptional()
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  @IsBoolean()
  force?: boolean;
}

export class RunProgressDto {
  @ApiProperty({ example: 120 }) processed: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Known once discovery has finished', example: 500 }) total:
    number | null;
  @ApiProperty({ example: 5 }) created: number;
  @ApiProperty({ example: 2 }) updated: number;
  @ApiProperty({ example: 113 }) unchanged: number;
  @ApiProperty({ example: 1 }) deleted: number;
  @ApiProperty({ example: 0 }) failed: number;
}

export class SyncRunResponseDto {
  @ApiProperty({ example: 'run_8f2k1m4n7b0v3c6x' })
  id: string;

  @ApiProperty({ example: 'conn_4k2x9q0m1v7b3n8c' })
  connectorId: string;

  @ApiProperty({ enum: RUN_STATUSES, example: 'running' })
  status: RunStatus;

  @ApiProperty({ example: false })
  force: boolean;

  @ApiProperty({ type: RunProgressDto })
  progress: RunProgressDto;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  @ApiProperty({ example: false, description: 'A stop was asked for; the run ends at the next batch boundary' })
  cancelRequested: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;
}

export class SyncRunPageDto extends Paginated(SyncRunResponseDto) {}

export class ListDocumentsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DOCUMENT_STATUSES })
  @IsOptional()
  @IsIn(DOCUMENT_STATUSES)
  status?: DocumentStatus;

  @ApiPropertyOptional({ description: 'Matches name or path, case-insensitive', example: 'invoice' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class DocumentResponseDto {
  @ApiProperty({ example: 'doc_2v9c1x8z7m3n4b5q' }) id: string;
  @ApiProperty({ example: 'conn_4k2x9q0m1v7b3n8c' }) connectorId: string;
  @ApiProperty({ description: 'File path, or schema-qualified table name', example: 'public.album' })
  externalId: string;
  @ApiProperty({ enum: DOCUMENT_KINDS, example: 'table' }) kind: DocumentKind;
  @ApiProperty({ example: 'album' }) name: string;
  @ApiProperty({ type: String, nullable: true }) path: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'text/csv' }) mimeType: string | null;
  @ApiProperty({ type: Number, nullable: true, example: 2048 }) size: number | null;
  @ApiProperty({ type: String, nullable: true }) checksum: string | null;
  @ApiProperty({ enum: DOCUMENT_STATUSES, example: 'synced' }) status: DocumentStatus;
  @ApiProperty({ type: String, nullable: true }) error: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'For tables: ddl, columns, rowEstimate' })
  metadata: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) syncedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
}

export class DocumentPageDto extends Paginated(DocumentResponseDto) {}
