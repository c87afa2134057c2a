import { DynamicModule, Global, Module } from '@nestjs/common';
import { EnvDto } from './env.dto';

/**
 * Makes the validated {@link EnvDto} injectable everywhere (`constructor(private readonly env: EnvDto)`).
 * The apps load and validate it before Nest starts, so a bad value never reaches a provider.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(env: EnvDto): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: EnvDto, useValue: env }], exports: [EnvDto] };
  }
}
