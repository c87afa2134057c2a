import { DynamicModule, Module } from '@nestjs/common';
import { QueueDashboardModule } from '@sluice/auth/dashboard/queue-dashboard.module';
import { AuthHttpModule } from '@sluice/auth/http/auth-http.module';
import { ConnectorsHttpModule } from '@sluice/connectors/http/connectors-http.module';
import { DocumentsHttpModule } from '@sluice/documents/http/documents-http.module';
import { SchemaHttpModule } from '@sluice/schema/http/schema-http.module';
import { Nl2sqlHttpModule } from '@sluice/nl2sql/http/nl2sql-http.module';
import { PromoteHistoryHttpModule } from '@sluice/nl2sql/http/promote-history-http.module';
import { TrainedTablesModule } from '@sluice/nl2sql/trained-tables.module';
import { ExamplesHttpModule } from '@sluice/examples/http/examples-http.module';
import { HistoryHttpModule } from '@sluice/history/http/history-http.module';
import { CoreModule, HttpCoreModule } from '@sluice/core/app/core.module';
import { EnvDto } from '@sluice/core/config/env.dto';
import { HealthModule } from '@sluice/core/health/health.module';
import { ThrottlingModule } from '@sluice/core/throttling/throttling.module';

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
