import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Paginated, PageQueryDto } from '@sluice/core';
import { IsIn, IsOptional } from 'class-validator';
import { INVITATION_STATUSES, InvitationStatus } from '../entities/invitation.entity';
import { ROLES, Role } from '../role';
import { TenantSummaryDto } from './auth.dto';

const STATUS_DESCRIPTION =
  '`pending` until the invitee answers; `accepted` (a member now), `declined`, or `revoked` by an admin';

/**
 * An invitation as the inviting tenant sees it. It says nothing about the account behind the
 * e-mail: whether one exists, its name, its other tenants or its sign-ins.
 */
export class InvitationResponseDto {
  @ApiProperty({ example: 'inv_3k8v1n6b0m4x7c2z' })
  id: string;

  @ApiProperty({ example: 'erin@example.com' })
  email: string;

  @ApiProperty({ enum: ROLES, example: 'editor', description: 'Role in this tenant once accepted' })
  role: Role;

  @ApiProperty({ enum: INVITATION_STATUSES, example: 'pending', description: STATUS_DESCRIPTION })
  status: InvitationStatus;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-01T09:30:00.000Z' })
  createdAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-12-15T09:30:00.000Z',
    description: 'A pending invitation can no longer be accepted after this',
  })
  expiresAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  respondedAt: string | null;
}

export class InvitationPageDto extends Paginated(InvitationResponseDto) {}

export class ListInvitationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: INVITATION_STATUSES, example: 'pending', description: 'Only invitations in this state' })
  @IsOptional()
  @IsIn(INVITATION_STATUSES)
  status?: InvitationStatus;
}

/** An invitation as its invitee sees it: which tenant, which role. */
export class ReceivedInvitationResponseDto {
  @ApiProperty({ example: 'inv_3k8v1n6b0m4x7c2z' })
  id: string;

  @ApiProperty({ type: TenantSummaryDto })
  tenant: TenantSummaryDto;

  @ApiProperty({ enum: ROLES, example: 'editor', description: 'Role in that tenant once accepted' })
  role: Role;

  @ApiProperty({ enum: INVITATION_STATUSES, example: 'pending', description: STATUS_DESCRIPTION })
  status: InvitationStatus;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-01T09:30:00.000Z' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-15T09:30:00.000Z' })
  expiresAt: string;
}

export class ReceivedInvitationListDto {
  @ApiProperty({
    type: [ReceivedInvitationResponseDto],
    description: 'Pending invitations, newest first (at most 100)',
  })
  data: ReceivedInvitationResponseDto[];
}
