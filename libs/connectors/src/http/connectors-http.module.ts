import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors.module';
import { ConnectorTypeController } from './connector-type.controller';
import { ConnectorController } from './connector.controller';

/** The HTTP routes of connectors; imported by the API app only. */
@Module({
  imports: [ConnectorsModule],
  controllers: [ConnectorTypeController, ConnectorController],
})
export class ConnectorsHttpModule {}
