import { DynamicModule, Module, Type } from '@nestjs/common';
import { ConnectorsModule } from '../connectors.module';
import { WebhookController } from './webhook.controller';

/** The inbound webhook route (POST /hooks/{connectorId}); imported by the API app only. */
@Module({})
export class WebhooksHttpModule {
  /** `pushedRecords`: a module exporting PUSHED_RECORDS (documents live in a lib above this one). */
  static register(pushedRecords: Type | DynamicModule): DynamicModule {
    return {
      module: WebhooksHttpModule,
      imports: [ConnectorsModule, pushedRecords],
      controllers: [WebhookController],
    };
  }
}
