import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '@sluice/core/errors/error-response.dto';
import { Page } from '@sluice/core/pagination/pagination';
import { Authenticated } from '../decorators/authenticated.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { AuthContext } from '../role';
import { UserService } from '../services/user.service';
import { CreateUserDto, ListUsersQueryDto, UpdateUserDto, UserPageDto, UserResponseDto } from './dto/user.dto';

const USER_ID = { name: 'id', description: 'User id', example: 'usr_2n5x8c1v4b7m0q3w' };

@ApiTags('users')
@Controller('users')
@Authenticated({ roles: ['admin'] })
export class UserController {
  constructor(private readonly users: UserService) {}

  @Get()
  @ApiOperation({ operationId: 'users_list', summary: 'List the users of this tenant' })
  @ApiOkResponse({ type: UserPageDto })
  list(@CurrentUser() auth: AuthContext, @Query() query: ListUsersQueryDto): Promise<Page<UserResponseDto>> {
    return this.users.list(auth, query);
  }

  @Post()
  @ApiOperation({
    operationId: 'users_create',
    summary: 'Add a user to this tenant',
    description:
      'Creates the account, or adds an account that already exists in another tenant (its password is kept).',
  })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Already a member of this tenant' })
  create(@CurrentUser() auth: AuthContext, @Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(auth, dto);
  }

  @Get(':id')
  @ApiParam(USER_ID)
  @ApiOperation({ operationId: 'users_get', summary: 'Get a user of this tenant' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
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
      'An account that also belongs to other tenants keeps its name, password and disabled state (409 ACCOUNT_SHARED); its role here can change.',
  })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'Would leave the tenant without an admin, or the account is shared',
  })
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
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Would leave the tenant without an admin' })
  remove(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<void> {
    return this.users.remove(auth, id);
  }
}
