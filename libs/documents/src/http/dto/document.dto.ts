import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

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
