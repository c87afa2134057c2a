import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@sluice/auth';
import { CoreModule, EnvDto } from '@sluice/core';

/** What the admin commands need: the database and the identity services, no Redis. */
@Module({})
export class CliModule {
  static forRoot(env: EnvDto): DynamicModule {
    return { module: CliModule, imports: [CoreModule.forRoot(env, { redis: false }), AuthModule] };
  }
}
