import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Paginated, PageQueryDto, connectionStringDialects } from '@sluice/core';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  Validate,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { CONNECTOR_ROLES, CONNECTOR_STATUSES, ConnectorRole, ConnectorStatus } from '../connector.types';
import '../plugins/built-in-dialects';

const TYPE_PATTERN = /^[a-z][a-z0-9_]{1,39}$/;

export class SslOptionsDto {
  @ApiPropertyOptional({ enum: ['disable', 'require', 'verify-full'], example: 'require' })
  @IsOptional()
  @IsIn(['disable', 'require', 'verify-full'])
  mode?: 'disable' | 'require' | 'verify-full';

  @ApiPropertyOptional({ description: 'PEM certificate authority for verify-full' })
  @IsOptional()
  @IsString()
  @MaxLength(65_536)
  ca?: string;
}

/**
 * A top-level `ssl` only qualifies a `connection` string. Beside `config` it used to be accepted
 * and then ignored, so a local database kept the default `require` and failed: it is refused,
 * naming where the setting goes.
 */
@ValidatorConstraint({ name: 'sslWithConnection' })
class SslWithConnectionConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return (args.object as { connection?: unknown }).connection !== undefined;
  }
  defaultMessage(): string {
    return (
      'ssl applies only with a connection string (connection); ' +
      'without one, set config.ssl.mode instead, e.g. "config": { "ssl": { "mode": "disable" } }'
    );
  }
}

/** The connection-string form, accepted on create, update and test-connection alike. */
export class ConnectionStringDto {
  @ApiPropertyOptional({
    description:
      `A connection string instead of the connection fields of config and the password (${connectionStringDialects().join(', ')}); ` +
      'its host, port, database, user and password are split into config and authConfig',
    example: 'postgresql://reader:s3cret@db.example.com:5432/sales',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  connection?: string;

  @ApiPropertyOptional({
    type: SslOptionsDto,
    description:
      'TLS settings for the connection-string form, only with `connection` (400 otherwise); with `config`, use `config.ssl.mode`',
  })
  @IsOptional()
  @Validate(SslWithConnectionConstraint)
  @ValidateNested()
  @Type(() => SslOptionsDto)
  ssl?: SslOptionsDto;
}

/** The fields that describe a connection: shared by creating a connector and testing an unsaved one. */
export class ConnectorSettingsDto extends ConnectionStringDto {
  @ApiProperty({ description: 'A type from GET /connector-types', example: 'postgresql' })
  @Matches(TYPE_PATTERN, { message: 'type must be a connector type such as postgresql' })
  type: string;

  @ApiPropertyOptional({
    description: "Non-secret settings, checked against the type's configSchema",
    type: 'object',
    additionalProperties: true,
    example: { host: 'db.example.com', port: 5432, database: 'sales', user: 'reader' },
  })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Alias of `config`; both are merged, `config` winning',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  connectionConfig?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: "Secrets, checked against the type's authSchema, encrypted at rest and never returned",
    type: 'object',
    additionalProperties: true,
    example: { password: 's3cret' },
  })
  @IsOptional()
  @IsObject()
  authConfig?: Record<string, unknown>;
}

export class CreateConnectorDto extends ConnectorSettingsDto {
  @ApiProperty({ description: 'Unique within the tenant (case-insensitive)', example: 'Sales warehouse' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiPropertyOptional({ enum: CONNECTOR_ROLES, default: 'source' })
  @IsOptional()
  @IsIn(CONNECTOR_ROLES)
  role?: ConnectorRole;

  @ApiPropertyOptional({ example: 'Read replica of the sales database' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ description: 'How the credentials authenticate (informational)', example: 'password' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  authMethod?: string;
}

export class UpdateConnectorDto extends ConnectionStringDto {
  @ApiPropertyOptional({ example: 'Sales warehouse (replica)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({
    description: 'Replaces the stored config when sent',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Alias of `config`', type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  connectionConfig?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'password' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  authMethod?: string;

  @ApiPropertyOptional({
    description:
      'Omitted: kept. `{}`: wiped. Otherwise replaced, except fields sent back as `********` (the mask), which keep their stored value. ' +
      'A change to a field the type lists in destinationFields (host, port, user, database, ssl.mode, ...) requires the secrets again in the same request, not the mask: 400 CREDENTIALS_REQUIRED otherwise.',
    type: 'object',
    additionalProperties: true,
    example: { password: '********' },
  })
  @IsOptional()
  @IsObject()
  authConfig?: Record<string, unknown>;

  @ApiPropertyOptional({
    enum: ['active', 'inactive'],
    description: '`inactive` disables the connector (sync, probes and queries answer 409) until set back to `active`',
  })
  @IsOptional()
  @IsIn(['active', 'inactive'])
  status?: 'active' | 'inactive';
}

export class ListConnectorsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'postgresql' })
  @IsOptional()
  @Matches(TYPE_PATTERN)
  type?: string;

  @ApiPropertyOptional({ enum: CONNECTOR_STATUSES })
  @IsOptional()
  @IsIn(CONNECTOR_STATUSES)
  status?: ConnectorStatus;

  @ApiPropertyOptional({ enum: CONNECTOR_ROLES })
  @IsOptional()
  @IsIn(CONNECTOR_ROLES)
  role?: ConnectorRole;

  @ApiPropertyOptional({ description: 'Matches name or description, case-insensitive', example: 'sales' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class ConnectorResponseDto {
  @ApiProperty({ example: 'conn_4k2x9q0m1v7b3n8c' })
  id: string;

  @ApiProperty({ example: 'Sales warehouse' })
  name: string;

  @ApiProperty({ example: 'postgresql' })
  type: string;

  @ApiProperty({ enum: CONNECTOR_ROLES })
  role: ConnectorRole;

  @ApiProperty({ example: 'Read replica of the sales database' })
  description: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { host: 'db.example.com', port: 5432, database: 'sales', user: 'reader' },
  })
  config: Record<string, unknown>;

  @ApiProperty({ type: String, nullable: true, example: 'password' })
  authMethod: string | null;

  @ApiProperty({ description: 'Whether credentials are stored', example: true })
  authConfigured: boolean;

  @ApiProperty({
    description: 'The stored credential fields, each masked',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { password: '********' },
  })
  authConfig: Record<string, string>;

  @ApiPropertyOptional({
    description:
      'Only in the answer to POST /connectors, and only for secrets the server generated because none was sent (the signing secret of a webhook connector): shown this once, in clear, never again. Store it now; to replace it, PUT a new one.',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { secret: 'whsec_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d' },
  })
  generatedSecrets?: Record<string, string>;

  @ApiProperty({ enum: CONNECTOR_STATUSES, example: 'active' })
  status: ConnectorStatus;

  @ApiProperty({ description: 'Declared in CONNECTORS_FILE: read-only through the API', example: false })
  managed: boolean;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Type-specific facts, e.g. fileSize for uploads',
  })
  metadata: Record<string, unknown>;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastTestedAt: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  lastError: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSyncAt: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 3503 })
  lastSyncRowCount: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;
}

export class ConnectorPageDto extends Paginated(ConnectorResponseDto) {}
