import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@sluice/auth/auth.module';
import { CoreModule } from '@sluice/core/app/core.module';
import { EnvDto } from '@sluice/core/config/env.dto';

/** What the admin commands need: the database and the identity services, no Redis. */
@Module({})
export class CliModule {
  static forRoot(env: EnvDto): DynamicModule {
    return { module: CliModule, imports: [CoreModule.forRoot(env, { redis: false }), AuthModule] };
  }
}
