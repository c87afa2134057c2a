import { Module } from '@nestjs/common';
import { ConnectorsModule } from '../connectors.module';
import { ConnectorFileController } from './connector-file.controller';
import { ConnectorTypeController } from './connector-type.controller';
import { ConnectorController } from './connector.controller';

/** The HTTP routes of connectors; imported by the API app only. */
@Module({
  imports: [ConnectorsModule],
  controllers: [ConnectorTypeController, ConnectorController, ConnectorFileController],
})
export class ConnectorsHttpModule {}
