import { DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '@sluice/core/app/core.module';
import { EnvDto } from '@sluice/core/config/env.dto';
import { DocumentsJobsModule } from '@sluice/documents/jobs/documents-jobs.module';
import { HistoryJobsModule } from '@sluice/history/jobs/history-jobs.module';
import { SchemaJobsModule } from '@sluice/schema/jobs/schema-jobs.module';

/** The worker: Bull processors of the feature libraries, no HTTP server. */
@Module({})
export class WorkerModule {
  static forRoot(env: EnvDto): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(env), DocumentsJobsModule, SchemaJobsModule, HistoryJobsModule],
    };
  }
}
