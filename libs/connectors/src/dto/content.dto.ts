import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';

export class ContentQueryDto {
  @ApiPropertyOptional({
    description: 'For folder connectors: the file, relative to the folder',
    example: 'exports/2026/orders.csv',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  path?: string;

  @ApiPropertyOptional({ description: 'First line of a line window, 0-based', default: 0, example: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ description: 'Lines in the window (1 to 10,000)', default: 100, example: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  limit?: number;

  @ApiPropertyOptional({ description: 'First byte of a byte window, 0-based (not with offset/limit)', example: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  bytesStart?: number;

  @ApiPropertyOptional({
    description: 'Last byte of a byte window, inclusive (at most 10 MiB per call)',
    example: 1023,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  bytesEnd?: number;
}

export class ChunkInfoDto {
  @ApiProperty({ enum: ['lines', 'bytes'] })
  mode: 'lines' | 'bytes';

  @ApiProperty({ type: Number, nullable: true, example: 0 })
  offset: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 100 })
  limit: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 3504,
    description: 'Null for files that were never indexed (folder files)',
  })
  totalLines: number | null;

  @ApiPropertyOptional({ example: 100 })
  returnedLines?: number;

  @ApiPropertyOptional({ example: 0 })
  bytesStart?: number;

  @ApiPropertyOptional({ example: 8191 })
  bytesEnd?: number;

  @ApiProperty({ example: true })
  hasMore: boolean;

  @ApiPropertyOptional({ description: 'The line window reached 10 MiB; continue with a byte window' })
  truncated?: boolean;
}

export class ContentResponseDto {
  @ApiProperty({ example: 'conn_4k2x9q0m1v7b3n8c' })
  connectorId: string;

  @ApiProperty({ description: 'Text of the window, or base64 for binary files', example: 'id,name\n1,Ada\n' })
  content: string;

  @ApiProperty({ description: 'Decoder used, or base64', example: 'utf-8' })
  encoding: string;

  @ApiProperty({ example: 'text/csv' })
  contentType: string;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'File size in bytes (null when not known)',
    example: 1048576,
  })
  totalSize: number | null;

  @ApiProperty({ type: ChunkInfoDto })
  chunkInfo: ChunkInfoDto;
}
