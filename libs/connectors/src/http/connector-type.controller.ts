import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@sluice/core';
import { Authenticated } from '@sluice/auth';
import { ConnectorRegistry } from '../connector.registry';
import { ConnectorTypeDto, ListConnectorTypesQueryDto } from '../dto/probe.dto';

@ApiTags('connectors')
@Controller('connector-types')
export class ConnectorTypeController {
  constructor(private readonly registry: ConnectorRegistry) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'connectorTypes_list',
    summary: 'Connector types with their capabilities and the JSON Schemas of config and authConfig',
    description: 'Each type carries its category and readiness (ready or coming_soon); both can filter the list.',
  })
  @ApiOkResponse({ type: [ConnectorTypeDto] })
  @ApiErrors(400)
  list(@Query() query: ListConnectorTypesQueryDto): ConnectorTypeDto[] {
    return this.registry
      .list()
      .filter(({ info }) => (query.category ?? info.category) === info.category)
      .filter(({ info }) => (query.readiness ?? info.readiness) === info.readiness)
      .map(({ info, plugin }) => ({ ...info, configSchema: plugin.configSchema, authSchema: plugin.authSchema }));
  }
}
