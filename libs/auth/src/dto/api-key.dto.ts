import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Paginated, PageQueryDto } from '@sluice/core';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDateString, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, Role } from '../role';

export class CreateApiKeyDto {
  @ApiProperty({ description: 'What the key is for', example: 'nightly export job' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiProperty({ enum: ROLES, example: 'viewer', description: 'Role the key acts with' })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Optional expiry',
    example: '2027-01-01T00:00:00Z',
  })
  @IsOptional()
  @IsDateString()
  expiresAt?: string;
}

export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Include revoked keys', default: false })
  @IsOptional()
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  @IsBoolean()
  includeRevoked?: boolean;
}

export class ApiKeyResponseDto {
  @ApiProperty({ example: 'key_7c2v9b4n1m8x3z6q' })
  id: string;

  @ApiProperty({ example: 'nightly export job' })
  name: string;

  @ApiProperty({ description: 'First characters of the key, to recognise it', example: 'sk_4f9a2c1e' })
  prefix: string;

  @ApiProperty({ enum: ROLES, example: 'viewer' })
  role: Role;

  @ApiProperty({ type: String, nullable: true, example: 'usr_2n5x8c1v4b7m0q3w' })
  createdBy: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt: string | null;
}

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  @ApiProperty({
    description: 'The key itself, shown this once only. Send as `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
    example: 'sk_4f9a2c1e0b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f',
  })
  key: string;
}

export class ApiKeyPageDto extends Paginated(ApiKeyResponseDto) {}
