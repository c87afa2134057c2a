import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@sluice/auth';
import { CoreModule, EnvDto } from '@sluice/core';
import { DocumentsModule } from '@sluice/documents';

export interface CliModuleOptions {
  /** Start, follow and stop syncs: adds Redis and the queues the worker takes jobs from. */
  syncs?: boolean;
}

/** What the admin commands need: the database and the identity services; Redis only for syncs. */
@Module({})
export class CliModule {
  static forRoot(env: EnvDto, options: CliModuleOptions = {}): DynamicModule {
    const syncs = options.syncs ?? false;
    return {
      module: CliModule,
      imports: [CoreModule.forRoot(env, { redis: syncs }), AuthModule, ...(syncs ? [DocumentsModule] : [])],
    };
  }
}
