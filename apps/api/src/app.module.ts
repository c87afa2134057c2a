import { DynamicModule, Module } from '@nestjs/common';
import { QueueDashboardModule, AuthHttpModule } from '@sluice/auth';
import { ConnectorsHttpModule, WebhooksHttpModule } from '@sluice/connectors';
import { DocumentsHttpModule, PushedRecordsModule } from '@sluice/documents';
import { SchemaHttpModule } from '@sluice/schema';
import { Nl2sqlHttpModule, PromoteHistoryHttpModule, TrainedTablesModule } from '@sluice/nl2sql';
import { ExamplesHttpModule } from '@sluice/examples';
import { HistoryHttpModule } from '@sluice/history';
import { CoreModule, HttpCoreModule, EnvDto, HealthModule, ThrottlingModule } from '@sluice/core';

@Module({})
export class AppModule {
  static forRoot(env: EnvDto): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(env),
        HttpCoreModule,
        ThrottlingModule,
        HealthModule,
        AuthHttpModule,
        ConnectorsHttpModule,
        DocumentsHttpModule,
        WebhooksHttpModule.register(PushedRecordsModule),
        SchemaHttpModule.register(TrainedTablesModule),
        Nl2sqlHttpModule,
        ExamplesHttpModule,
        HistoryHttpModule,
        PromoteHistoryHttpModule,
        QueueDashboardModule,
      ],
    };
  }
}
