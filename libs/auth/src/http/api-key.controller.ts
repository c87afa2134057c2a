import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiCreate, ApiErrors, ApiPage, Page } from '@sluice/core';
import { Authenticated } from '../decorators/authenticated.decorator';
import { CurrentUser } from '../decorators/current-user.decorator';
import { AuthContext } from '../role';
import { ApiKeyService } from '../services/api-key.service';
import {
  ApiKeyPageDto,
  ApiKeyResponseDto,
  CreateApiKeyDto,
  CreatedApiKeyResponseDto,
  ListApiKeysQueryDto,
} from '../dto/api-key.dto';

@ApiTags('api-keys')
@Controller('api-keys')
@Authenticated({ roles: ['admin'] })
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Get()
  @ApiOperation({
    operationId: 'apiKeys_list',
    summary: 'List API keys of this tenant (never the keys themselves)',
    description:
      'One page of the API keys of this tenant: name, role, prefix, last use, expiry and revocation. The secret itself is shown only once, when the key is created.',
  })
  @ApiPage(ApiKeyPageDto)
  list(@CurrentUser() auth: AuthContext, @Query() query: ListApiKeysQueryDto): Promise<Page<ApiKeyResponseDto>> {
    return this.keys.list(auth, query);
  }

  @Post()
  @ApiOperation({
    operationId: 'apiKeys_create',
    summary: 'Create an API key',
    description: 'The response holds the key once; only a hash is stored. The key acts with the role given.',
  })
  @ApiCreate(CreatedApiKeyResponseDto)
  create(@CurrentUser() auth: AuthContext, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyResponseDto> {
    return this.keys.create(auth, dto);
  }

  @Delete(':id')
  @ApiParam({ name: 'id', description: 'API key id', example: 'key_7c2v9b4n1m8x3z6q' })
  @ApiOperation({
    operationId: 'apiKeys_revoke',
    summary: 'Revoke an API key',
    description: 'Requests with it get 401 from now on.',
  })
  @ApiOkResponse({ type: ApiKeyResponseDto })
  @ApiErrors(404)
  revoke(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ApiKeyResponseDto> {
    return this.keys.revoke(auth, id);
  }
}
