import { DynamicModule, Global, Module } from '@nestjs/common';
import { SecretBox } from '../crypto/secret-box';
import { SafeNetwork } from '../network/safe-network';
import { EnvDto } from './env.dto';
import { SECURITY_PROVIDERS } from './security.providers';

/**
 * Makes the validated {@link EnvDto} injectable everywhere (`constructor(private readonly env: EnvDto)`),
 * with the secret box and the safe-network guard built from it.
 * The apps load and validate it before Nest starts, so a bad value never reaches a provider.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(env: EnvDto): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: EnvDto, useValue: env }, ...SECURITY_PROVIDERS],
      exports: [EnvDto, SecretBox, SafeNetwork],
    };
  }
}
