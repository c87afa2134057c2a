import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { dialectNames } from '@sluice/core';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import {
  CONNECTOR_CATEGORIES,
  READINESS_LEVELS,
  type ConnectorCategory,
  type Readiness,
} from '../plugin/connector-plugin';
import { CONNECTOR_STATUSES, ConnectorStatus } from '../connector.types';
import '../plugins/built-in-dialects';
import { ConnectorSettingsDto } from './connector.dto';

/** An unsaved configuration: `{ type, config, authConfig }` or `{ type, connection, ssl }`. */
export class TestConnectionDto extends ConnectorSettingsDto {}

export class ProbeDetailsDto {
  @ApiPropertyOptional({ example: 'PostgreSQL 15.19' })
  serverVersion?: string;

  @ApiPropertyOptional({ example: 'sales' })
  database?: string;

  @ApiPropertyOptional({ example: 11 })
  tables?: number;
}

/** The seed's form of a saved connector's test: `POST /connectors/test` with its id in the body. */
export class TestConnectorByIdDto {
  @ApiProperty({ description: 'ID of the connector to test', example: 'conn_4k2x9q0m1v7b3n8c' })
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  id: string;
}

export class ProbeResponseDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The connector tested (null for an unsaved config)',
    example: 'conn_4k2x9q0m1v7b3n8c',
  })
  id: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Its name (null for an unsaved config)',
    example: 'Sales warehouse',
  })
  name: string | null;

  @ApiProperty({ description: 'Its connector type', example: 'postgresql' })
  type: string;

  @ApiProperty({ example: true })
  success: boolean;

  @ApiProperty({ example: 'Connected to PostgreSQL 15.19' })
  message: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'A remark that does not fail the probe (null when none); never stored',
    example: null,
  })
  warning: string | null;

  @ApiProperty({ example: 42 })
  latencyMs: number;

  @ApiProperty({
    enum: CONNECTOR_STATUSES,
    nullable: true,
    description: 'The connector status after the probe (null for an unsaved config)',
  })
  status: ConnectorStatus | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastTestedAt: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Set only by a real failure', example: null })
  lastError: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the connector last finished a sync (null for an unsaved config or a connector never synced)',
    example: '2026-03-16T14:30:02.000Z',
  })
  lastSyncAt: string | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Data rows of the CSV files the last sync (or upload) found; null when it found none',
    example: 18432,
  })
  lastSyncRowCount: number | null;

  @ApiProperty({ type: ProbeDetailsDto })
  details: ProbeDetailsDto;
}

export class ConnectorHealthDto {
  @ApiProperty({ enum: ['healthy', 'unhealthy', 'unknown'], example: 'healthy' })
  status: 'healthy' | 'unhealthy' | 'unknown';

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastCheck: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 42 })
  latencyMs: number | null;
}

export class ConnectorTypeDto {
  @ApiProperty({ example: 'postgresql' })
  type: string;

  @ApiProperty({ example: 'PostgreSQL' })
  displayName: string;

  @ApiProperty({ enum: CONNECTOR_CATEGORIES, example: 'sql' })
  category: string;

  @ApiProperty({ example: 'PostgreSQL 10 or later' })
  description: string;

  @ApiProperty({ type: [String], example: ['test', 'introspect', 'execute', 'discover'] })
  capabilities: string[];

  @ApiPropertyOptional({ enum: dialectNames() })
  dialect?: string;

  @ApiProperty({
    enum: READINESS_LEVELS,
    example: 'ready',
    description: '`coming_soon`: can be saved, edited and (where the type has a probe) tested, but not synced',
  })
  readiness: string;

  @ApiProperty({
    type: [String],
    example: ['host', 'port', 'user', 'database', 'ssl.mode', 'ssl.ca'],
    description:
      'Config fields (dotted paths) that decide where the credentials go: changing one on update requires authConfig again',
  })
  destinationFields: string[];

  @ApiProperty({
    enum: ['snapshot', 'append'],
    example: 'snapshot',
    description:
      'snapshot: each sync lists everything the source has, and documents it no longer lists are marked deleted. ' +
      'append: each sync brings only new items (messages taken from a queue); earlier documents stay.',
  })
  syncMode: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of `config`' })
  configSchema: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of `authConfig` (all secret)' })
  authSchema: Record<string, unknown>;
}

export class ListConnectorTypesQueryDto {
  @ApiPropertyOptional({ enum: CONNECTOR_CATEGORIES, description: 'Only types of this category', example: 'files' })
  @IsOptional()
  @IsIn(CONNECTOR_CATEGORIES)
  category?: ConnectorCategory;

  @ApiPropertyOptional({ enum: READINESS_LEVELS, description: 'Only types of this readiness', example: 'ready' })
  @IsOptional()
  @IsIn(READINESS_LEVELS)
  readiness?: Readiness;
}
