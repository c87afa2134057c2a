import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Page, Paginated } from '@sluice/core';
import { Authenticated } from '@sluice/auth';
import { ConnectorRegistry } from '../connector.registry';
import { ConnectorTypeDto, ListConnectorTypesQueryDto } from '../dto/probe.dto';

/** Every type in one page: the catalogue is small, and the shape is the one of every other list. */
export class ConnectorTypePageDto extends Paginated(ConnectorTypeDto) {}

@ApiTags('connectors')
@Controller('connector-types')
export class ConnectorTypeController {
  constructor(private readonly registry: ConnectorRegistry) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'connectorTypes_list',
    summary: 'Connector types with their capabilities and the JSON Schemas of config and authConfig',
    description:
      'Each type carries its category and readiness (ready or coming_soon); both can filter the list. ' +
      'The answer has the `{data, pagination}` shape of every list, with all matching types in one page.',
  })
  @ApiOkResponse({ type: ConnectorTypePageDto })
  @ApiErrors(400)
  list(@Query() query: ListConnectorTypesQueryDto): Page<ConnectorTypeDto> {
    const data = this.registry
      .list()
      .filter(({ info }) => (query.category ?? info.category) === info.category)
      .filter(({ info }) => (query.readiness ?? info.readiness) === info.readiness)
      .map(({ info, plugin }) => ({ ...info, configSchema: plugin.configSchema, authSchema: plugin.authSchema }));
    return { data, pagination: { total: data.length, limit: data.length, hasMore: false, nextCursor: null } };
  }
}
