import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { dialectNames } from '@sluice/core';
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

export class ProbeResponseDto {
  @ApiProperty({ example: true })
  success: boolean;

  @ApiProperty({ example: 'Connected to PostgreSQL 15.19' })
  message: string;

  @ApiPropertyOptional({ description: 'A remark that does not fail the probe; not stored', example: 'SSL is disabled' })
  warning?: string;

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

  @ApiProperty({ type: String, nullable: true, description: 'Set only by a real failure' })
  lastError: string | null;

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

  @ApiProperty({ enum: ['sql', 'files', 'object_storage', 'api', 'stream'] })
  category: string;

  @ApiProperty({ example: 'PostgreSQL 10 or later' })
  description: string;

  @ApiProperty({ type: [String], example: ['test', 'introspect', 'execute', 'discover'] })
  capabilities: string[];

  @ApiPropertyOptional({ enum: dialectNames() })
  dialect?: string;

  @ApiProperty({ enum: ['ready', 'coming_soon'] })
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
