import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '@sluice/auth';
import { ConnectorRegistry } from '../connector.registry';
import { ConnectorTypeDto } from '../dto/probe.dto';

@ApiTags('connectors')
@Controller('connector-types')
export class ConnectorTypeController {
  constructor(private readonly registry: ConnectorRegistry) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'connectorTypes_list',
    summary: 'Connector types with their capabilities and the JSON Schemas of config and authConfig',
  })
  @ApiOkResponse({ type: [ConnectorTypeDto] })
  list(): ConnectorTypeDto[] {
    return this.registry
      .list()
      .map(({ info, plugin }) => ({ ...info, configSchema: plugin.configSchema, authSchema: plugin.authSchema }));
  }
}
