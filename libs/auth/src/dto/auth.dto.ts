import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, Role } from '../role';

export class LoginDto {
  @ApiProperty({ description: 'E-mail address of the account', example: 'admin@sluice.local' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ description: 'Password of the account', example: 'sluice-admin-password', format: 'password' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password: string;

  @ApiPropertyOptional({
    description: 'Tenant to sign in to, by id or name; defaults to the first tenant the user joined',
    example: 'Default',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  tenant?: string;
}

export class RefreshDto {
  @ApiProperty({
    description: 'Refresh token from the login or a previous refresh (single use)',
    example: 'rt_3q8Zb1x...',
  })
  @IsString()
  @MinLength(10)
  @MaxLength(200)
  refreshToken: string;
}

export class TenantSummaryDto {
  @ApiProperty({ example: 'ten_0f3k9q2m7x1c5v8b' })
  id: string;

  @ApiProperty({ example: 'Default' })
  name: string;
}

export class TenantMembershipDto extends TenantSummaryDto {
  @ApiProperty({ enum: ROLES, example: 'admin' })
  role: Role;
}

export class UserSummaryDto {
  @ApiProperty({ example: 'usr_2n5x8c1v4b7m0q3w' })
  id: string;

  @ApiProperty({ example: 'admin@sluice.local' })
  email: string;

  @ApiProperty({ example: 'Ada Admin' })
  name: string;
}

export class TokenResponseDto {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <token>`', example: 'eyJhbGciOiJIUzI1NiIs...' })
  accessToken: string;

  @ApiProperty({ description: 'Trade for a new pair at POST /auth/refresh; usable once', example: 'rt_3q8Zb1x...' })
  refreshToken: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expiresIn: number;

  @ApiProperty({ description: 'Seconds until the refresh token expires', example: 1209600 })
  refreshExpiresIn: number;

  @ApiProperty({ type: UserSummaryDto })
  user: UserSummaryDto;

  @ApiProperty({
    type: TenantSummaryDto,
    description: 'Tenant the tokens are for (override per request with X-Tenant-Id)',
  })
  tenant: TenantSummaryDto;

  @ApiProperty({ enum: ROLES, example: 'admin' })
  role: Role;
}

export class MeResponseDto {
  @ApiProperty({ type: UserSummaryDto, nullable: true, description: 'Null when calling with an API key' })
  user: UserSummaryDto | null;

  @ApiProperty({ type: TenantSummaryDto })
  tenant: TenantSummaryDto;

  @ApiProperty({ enum: ROLES, example: 'editor' })
  role: Role;

  @ApiProperty({ enum: ['jwt', 'api_key'], example: 'jwt' })
  via: 'jwt' | 'api_key';

  @ApiProperty({ type: [TenantMembershipDto], description: 'Every tenant this user belongs to' })
  tenants: TenantMembershipDto[];
}
