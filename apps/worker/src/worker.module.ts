import { DynamicModule, Module } from '@nestjs/common';
import { CoreModule, EnvDto, WorkerHeartbeatModule } from '@sluice/core';
import { DocumentsJobsModule } from '@sluice/documents';
import { HistoryJobsModule } from '@sluice/history';
import { SchemaJobsModule } from '@sluice/schema';

/** The worker: Bull processors of the feature libraries, no HTTP server. */
@Module({})
export class WorkerModule {
  static forRoot(env: EnvDto): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(env),
        WorkerHeartbeatModule,
        DocumentsJobsModule,
        SchemaJobsModule,
        HistoryJobsModule,
      ],
    };
  }
}
