import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';

export class CreateDocumentDto {
  @ApiProperty({ description: 'Unique within the connector', example: 'notes/glossary' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  externalId: string;

  @ApiProperty({ example: 'Glossary' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  name: string;

  @ApiPropertyOptional({ description: 'Text of the document', example: 'ARR: annual recurring revenue' })
  @IsOptional()
  @IsString()
  @MaxLength(1_000_000)
  content?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { source: 'wiki' } })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class UpdateDocumentDto {
  @ApiPropertyOptional({ example: 'Glossary (2027)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  name?: string;

  @ApiPropertyOptional({
    description: 'Replaces the text of a document added by hand',
    example: 'ARR: annual recurring revenue',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1_000_000)
  content?: string;

  @ApiPropertyOptional({ description: 'Merged into the stored metadata', type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class TrainDto {
  @ApiProperty({
    description: 'Table or view documents of this connector to mark as trained for NL2SQL',
    example: ['doc_2v9c1x8z7m3n4b5q', 'doc_7m3n4b5q2v9c1x8z'],
    maxItems: 1000,
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(40, { each: true })
  documentIds: string[];
}

export class TrainResultDto {
  @ApiProperty({ example: 'doc_2v9c1x8z7m3n4b5q' }) documentId: string;
  @ApiProperty({ example: true }) ok: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the document could not be trained',
    example: null,
  })
  reason: string | null;
}

export class TrainResponseDto {
  @ApiProperty({ example: 2 }) trainedCount: number;
  @ApiProperty({ example: 0 }) failedCount: number;
  @ApiProperty({ type: [TrainResultDto], description: 'One result per requested id, in request order' })
  results: TrainResultDto[];
}
