import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@sluice/core';
import { Authenticated } from '../decorators/authenticated.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { AuthContext } from '../role';
import { InvitationService } from '../services/invitation.service';
import { ReceivedInvitationListDto, ReceivedInvitationResponseDto } from '../dto/invitation.dto';

const INVITATION_ID = { name: 'id', description: 'Invitation id', example: 'inv_3k8v1n6b0m4x7c2z' };

/** The invitee's side: invitations to the signed-in account's e-mail, in any tenant. */
@ApiTags('invitations')
@Controller('invitations')
@Authenticated()
export class InvitationController {
  constructor(private readonly invitations: InvitationService) {}

  @Get()
  @ApiOperation({
    operationId: 'invitations_listMine',
    summary: 'My pending invitations',
    description:
      'Invitations to the e-mail of the signed-in account, from any tenant, still pending and unexpired. ' +
      'Signed-in users only (an API key gets 403 NEEDS_USER).',
  })
  @ApiOkResponse({ type: ReceivedInvitationListDto })
  listMine(@CurrentUser() auth: AuthContext): Promise<ReceivedInvitationListDto> {
    return this.invitations.listReceived(auth);
  }

  @Post(':id/accept')
  @HttpCode(200)
  @ApiParam(INVITATION_ID)
  @ApiOperation({
    operationId: 'invitations_accept',
    summary: 'Accept an invitation',
    description:
      'Joins its tenant with its role; pick that tenant with X-Tenant-Id or sign in to it. ' +
      'An invitation to another e-mail is a 404.',
  })
  @ApiOkResponse({ type: ReceivedInvitationResponseDto, description: 'The invitation, accepted' })
  @ApiErrors(404, { 409: 'Already answered or revoked (INVITATION_NOT_PENDING), or expired (INVITATION_EXPIRED)' })
  accept(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ReceivedInvitationResponseDto> {
    return this.invitations.accept(auth, id);
  }

  @Post(':id/decline')
  @HttpCode(200)
  @ApiParam(INVITATION_ID)
  @ApiOperation({
    operationId: 'invitations_decline',
    summary: 'Decline an invitation',
    description: 'The account stays out of that tenant; its admins see the invitation declined.',
  })
  @ApiOkResponse({ type: ReceivedInvitationResponseDto, description: 'The invitation, declined' })
  @ApiErrors(404, { 409: 'Already answered, revoked or expired' })
  decline(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ReceivedInvitationResponseDto> {
    return this.invitations.decline(auth, id);
  }
}
