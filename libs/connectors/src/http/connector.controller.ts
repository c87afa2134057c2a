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
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Authenticated, EDITORS } from '@sluice/auth/decorators/authenticated.decorator';
import { CONNECTOR_ID_PARAM } from './connector-id.param';
import { CurrentUser } from '@sluice/auth/decorators/current-user.decorator';
import type { AuthContext } from '@sluice/auth/role';
import { ErrorResponseDto } from '@sluice/core/errors/error-response.dto';
import { Page } from '@sluice/core/pagination/pagination';
import { ConnectorService } from '../connector.service';
import { ConnectorProbeService } from '../probes/connector-probe.service';
import {
  ConnectorPageDto,
  ConnectorResponseDto,
  CreateConnectorDto,
  ListConnectorsQueryDto,
  UpdateConnectorDto,
} from '../dto/connector.dto';
import { ConnectorHealthDto, ProbeResponseDto, TestConnectionDto } from '../dto/probe.dto';

@ApiTags('connectors')
@Controller('connectors')
export class ConnectorController {
  constructor(
    private readonly connectors: ConnectorService,
    private readonly probes: ConnectorProbeService,
  ) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'connectors_list',
    summary: 'List connectors',
    description: 'Filters: type, status, role, q (name or description).',
  })
  @ApiOkResponse({ type: ConnectorPageDto })
  list(@CurrentUser() auth: AuthContext, @Query() query: ListConnectorsQueryDto): Promise<Page<ConnectorResponseDto>> {
    return this.connectors.list(auth, query);
  }

  @Post()
  @Authenticated(EDITORS)
  @ApiOperation({
    operationId: 'connectors_create',
    summary: 'Create a connector',
    description:
      'config and authConfig are checked against the JSON Schemas of the type; authConfig is encrypted and never returned.',
  })
  @ApiCreatedResponse({ type: ConnectorResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'One entry per invalid field in details' })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Name already used in this tenant' })
  create(@CurrentUser() auth: AuthContext, @Body() dto: CreateConnectorDto): Promise<ConnectorResponseDto> {
    return this.connectors.create(auth, dto);
  }

  @Post('test-connection')
  @HttpCode(200)
  @Authenticated(EDITORS)
  @ApiOperation({
    operationId: 'connectors_testConnection',
    summary: 'Test an unsaved configuration',
    description:
      'Accepts { type, config, authConfig } or the connection-string form { type, connection, ssl }. Nothing is stored.',
  })
  @ApiOkResponse({ type: ProbeResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({
    type: ErrorResponseDto,
    description: 'The address is refused by the safe-network guard',
  })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  testConnection(@CurrentUser() auth: AuthContext, @Body() dto: TestConnectionDto): Promise<ProbeResponseDto> {
    return this.probes.testConnection(auth, dto);
  }

  @Get(':id')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({ operationId: 'connectors_get', summary: 'Get a connector' })
  @ApiOkResponse({ type: ConnectorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ConnectorResponseDto> {
    return this.connectors.get(auth, id);
  }

  @Put(':id')
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_update',
    summary: 'Change a connector',
    description:
      'Only the fields sent change. authConfig: omitted → kept; {} → wiped; otherwise replaced, with fields sent as ******** kept. status: active | inactive.',
  })
  @ApiOkResponse({ type: ConnectorResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Managed connector, or name taken' })
  update(
    @CurrentUser() auth: AuthContext,
    @Param('id') id: string,
    @Body() dto: UpdateConnectorDto,
  ): Promise<ConnectorResponseDto> {
    return this.connectors.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({ operationId: 'connectors_delete', summary: 'Delete a connector and what belongs to it' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Managed connector' })
  remove(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<void> {
    return this.connectors.remove(auth, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @Authenticated(EDITORS)
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_test',
    summary: 'Test a connector with a real connection',
    description:
      'Sets status to active on success and error on failure. Paused for a cool-down after repeated failures.',
  })
  @ApiOkResponse({ type: ProbeResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'Connector is inactive' })
  @ApiUnprocessableEntityResponse({
    type: ErrorResponseDto,
    description: 'The address is refused by the safe-network guard',
  })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  test(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ProbeResponseDto> {
    return this.probes.test(auth, id);
  }

  @Get(':id/health')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({ operationId: 'connectors_health', summary: 'Health from the last probe' })
  @ApiOkResponse({ type: ConnectorHealthDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  health(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ConnectorHealthDto> {
    return this.probes.health(auth, id);
  }
}
