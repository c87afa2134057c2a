import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, EDITORS, CurrentUser } from '@sluice/auth';
import { CONNECTOR_ID_PARAM } from './connector-id.param';
import type { AuthContext } from '@sluice/auth';
import { ApiCreate, ApiDeleteById, ApiErrors, ApiPage, ApiReadById, ApiUpdateById } from '@sluice/core';
import { ConnectorService } from '../connector.service';
import { ConnectorProbeService } from '../probes/connector-probe.service';
import {
  ConnectorPageDto,
  ConnectorResponseDto,
  CreateConnectorDto,
  ListConnectorsQueryDto,
  UpdateConnectorDto,
} from '../dto/connector.dto';
import { ConnectorHealthDto, ProbeResponseDto, TestConnectionDto, TestConnectorByIdDto } from '../dto/probe.dto';

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
  @ApiPage(ConnectorPageDto)
  // The page comes as JSON text (a ConnectorPageDto), sent as it is.
  @Header('Content-Type', 'application/json; charset=utf-8')
  list(@CurrentUser() auth: AuthContext, @Query() query: ListConnectorsQueryDto): Promise<string> {
    return this.connectors.list(auth, query);
  }

  @Post()
  @Authenticated(EDITORS)
  @ApiOperation({
    operationId: 'connectors_create',
    summary: 'Create a connector',
    description:
      'config and authConfig are checked against the JSON Schemas of the type; authConfig is encrypted and never returned. A secret the server generates because none was sent (the signing secret of a webhook connector) is shown once, in generatedSecrets of this answer.',
  })
  @ApiCreate(ConnectorResponseDto, {
    400: 'One entry per invalid field in details',
    409: 'Name already used in this tenant',
  })
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
  @ApiErrors(400, 429, { 422: 'The address is refused by the safe-network guard' })
  testConnection(@CurrentUser() auth: AuthContext, @Body() dto: TestConnectionDto): Promise<ProbeResponseDto> {
    return this.probes.testConnection(auth, dto);
  }

  @Post('test')
  @HttpCode(200)
  @Authenticated(EDITORS)
  @ApiOperation({
    operationId: 'connectors_testById',
    summary: 'Test a saved connector named in the body',
    description: 'The same as POST /connectors/{id}/test, with the id in the body ({ "id": "conn_…" }).',
  })
  @ApiOkResponse({ type: ProbeResponseDto })
  @ApiErrors(400, 404, 429, {
    409: 'Connector is inactive',
    422: 'The address is refused by the safe-network guard',
  })
  testById(@CurrentUser() auth: AuthContext, @Body() dto: TestConnectorByIdDto): Promise<ProbeResponseDto> {
    return this.probes.test(auth, dto.id);
  }

  @Get(':id')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_get',
    summary: 'Get a connector',
    description: 'The connector with its config (secrets masked, never returned), status and last test, sync and use.',
  })
  @ApiReadById(ConnectorResponseDto)
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
  @ApiUpdateById(ConnectorResponseDto, { 409: 'Managed connector, or name taken' })
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
  @ApiOperation({
    operationId: 'connectors_delete',
    summary: 'Delete a connector and what belongs to it',
    description:
      'Deletes the connector with its documents, runs, schema cache and annotations, after stopping its sync. A managed connector (one the platform created) answers 409.',
  })
  @ApiDeleteById({ 409: 'Managed connector' })
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
  @ApiErrors(404, 429, { 409: 'Connector is inactive', 422: 'The address is refused by the safe-network guard' })
  test(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ProbeResponseDto> {
    return this.probes.test(auth, id);
  }

  @Get(':id/health')
  @Authenticated()
  @ApiParam(CONNECTOR_ID_PARAM)
  @ApiOperation({
    operationId: 'connectors_health',
    summary: 'Health from the last probe',
    description: 'What the last probe (POST /connectors/{id}/test or a sync) found, without opening a new connection.',
  })
  @ApiReadById(ConnectorHealthDto)
  health(@CurrentUser() auth: AuthContext, @Param('id') id: string): Promise<ConnectorHealthDto> {
    return this.probes.health(auth, id);
  }
}
