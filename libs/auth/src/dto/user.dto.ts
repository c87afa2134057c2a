import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Paginated, PageQueryDto } from '@sluice/core';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, Role } from '../role';

export const MIN_PASSWORD_LENGTH = 10;

export class CreateUserDto {
  @ApiProperty({ example: 'erin@example.com' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiPropertyOptional({ example: 'Erin Editor' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiProperty({
    description: `At least ${MIN_PASSWORD_LENGTH} characters: the password of the account created for a new e-mail. An existing account keeps its own (nothing in the answer tells which).`,
    example: 'a-long-passphrase',
    format: 'password',
  })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(256)
  password: string;

  @ApiProperty({ enum: ROLES, example: 'editor' })
  @IsIn(ROLES)
  role: Role;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'Erin E.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ enum: ROLES, example: 'viewer', description: 'Role in this tenant' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ example: 'another-long-passphrase', format: 'password' })
  @IsOptional()
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH)
  @MaxLength(256)
  password?: string;

  @ApiPropertyOptional({ description: 'A disabled user cannot sign in and their tokens stop working', example: false })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Matches e-mail or name, case-insensitive', example: 'erin' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class UserResponseDto {
  @ApiProperty({ example: 'usr_2n5x8c1v4b7m0q3w' })
  id: string;

  @ApiProperty({ example: 'erin@example.com' })
  email: string;

  @ApiProperty({ example: 'Erin Editor' })
  name: string;

  @ApiProperty({ enum: ROLES, example: 'editor', description: 'Role in the current tenant' })
  role: Role;

  @ApiProperty({ example: false })
  disabled: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLoginAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the user joined this tenant' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: string;
}

export class UserPageDto extends Paginated(UserResponseDto) {}
