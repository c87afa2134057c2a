import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors, ApiPage, ApiReadById, ApiUpdateById, Page } from '@sluice/core';
import { Authenticated } from '../decorators/authenticated.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { AuthContext } from '../role';
import { InvitationService } from '../services/invitation.service';
import { UserService } from '../services/user.service';
import { InvitationPageDto, InvitationResponseDto, ListInvitationsQueryDto } from '../dto/invitation.dto';
import { CreateUserDto, ListUsersQueryDto, UpdateUserDto, UserPageDto, UserResponseDto } from '../dto/user.dto';

const USER_ID = { name: 'id', description: 'User id', example: 'usr_2n5x8c1v4b7m0q3w' };
const INVITATION_ID = { name: 'invitationId', description: 'Invitation id', example: 'inv_3k8v1n6b0m4x7c2z' };

@ApiTags('users')
@Controller('users')
@Authenticated({ roles: ['admin'] })
export class UserController {
  constructor(
    private readonly users: UserService,
    private readonly invitations: InvitationService,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'users_list',
    summary: 'List the users of this tenant',
    description: 'One page of the users holding a membership in this tenant, with their role. Admins only.',
  })
  @ApiPage(UserPageDto)
  list(@CurrentUser() auth: AuthContext, @Query() query: ListUsersQueryDto): Promise<Page<UserResponseDto>> {
    return this.users.list(auth, query);
  }

  @Post()
  @ApiOperation({
    operationId: 'users_create',
    summary: 'Invite a user to this tenant',
    description:
      'Makes an invitation, whatever the e-mail, and answers the same for every e-mail: nothing tells whether ' +
      'an account exists, nor anything about it. A new e-mail gets an account with this password; its first ' +
      'sign-in accepts the invitation. An existing account keeps its password and joins only when its owner ' +
      'accepts (GET /invitations, POST /invitations/{id}/accept). Until then the user is not in GET /users; ' +
      'the invitation is in GET /users/invitations. 409 USER_EXISTS when already a member here, ' +
      'INVITATION_PENDING when this e-mail already has a pending invitation here.',
  })
  @ApiCreatedResponse({ type: InvitationResponseDto, description: 'The invitation, pending' })
  @ApiErrors(400, { 409: 'Already a member of this tenant, or already invited to it' })
  create(@CurrentUser() auth: AuthContext, @Body() dto: CreateUserDto): Promise<InvitationResponseDto> {
    return this.invitations.invite(auth, dto);
  }

  // Declared before ':id' so that "invitations" is not taken for a user id.
  @Get('invitations')
  @ApiOperation({
    operationId: 'users_listInvitations',
    summary: "List this tenant's invitations",
    description: 'Newest first; `?status=pending` for those still waiting for an answer.',
  })
  @ApiPage(InvitationPageDto)
  listInvitations(
    @CurrentUser() auth: AuthContext,
    @Query() query: ListInvitationsQueryDto,
  ): Promise<Page<InvitationResponseDto>> {
    return this.invitations.list(auth, query);
  }

  @Delete('invitations/:invitationId')
  @ApiParam(INVITATION_ID)
  @ApiOperation({
    operationId: 'users_revokeInvitation',
    summary: 'Revoke a pending invitation',
    description:
      'It can no longer be accepted. An account the invitation created, never signed in to, is deleted with it.',
  })
  @ApiOkResponse({ type: InvitationResponseDto, description: 'The invitation, revoked' })
  @ApiErrors(404, { 409: 'Already answered (INVITATION_NOT_PENDING)' })
  revokeInvitation(
    @CurrentUser() auth: AuthContext,
    @Param('invitationId') invitationId: string,
  ): Promise<InvitationResponseDto> {
    return this.invitations.revoke(auth, invitationId);
  }

  @Get(':id')
  @ApiParam(USER_ID)
  @ApiOperation({
    operationId: 'users_get',
    summary: 'Get a user of this tenant',
    description: 'A user of this tenant with their role; a user of another tenant is a 404. Admins only.',
  })
  @ApiReadById(UserResponseDto)
  get(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<UserResponseDto> {
    return this.users.get(auth, id);
  }

  @Put(':id')
  @ApiParam(USER_ID)
  @ApiOperation({
    operationId: 'users_update',
    summary: 'Change name, role, password or disabled state',
    description:
      'Only the fields sent change. The last active admin cannot be demoted or disabled (409 LAST_ADMIN). ' +
      'An account whose owner accepted an invitation to other tenants keeps its name, password and disabled state ' +
      '(409 ACCOUNT_SHARED); its role here can change, and it can be removed from here. A pending invitation ' +
      'elsewhere does not make it shared. A new password or a disable ends its access tokens at once.',
  })
  @ApiUpdateById(UserResponseDto, { 409: 'Would leave the tenant without an admin, or the account is shared' })
  update(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Body() dto: UpdateUserDto,
  ): Promise<UserResponseDto> {
    return this.users.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam(USER_ID)
  @ApiOperation({
    operationId: 'users_delete',
    summary: 'Remove a user from this tenant',
    description: 'The last active admin cannot be removed (409).',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrors(404, { 409: 'Would leave the tenant without an admin' })
  remove(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<void> {
    return this.users.remove(auth, id);
  }
}
