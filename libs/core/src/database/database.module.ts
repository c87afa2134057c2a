import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EnvDto } from '../config/env.dto';

/**
 * The shared connection. Migrations are applied before Nest starts (see prepareDatabase), so
 * the module never synchronises or migrates on its own; entities register through forFeature.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [EnvDto],
      useFactory: (env: EnvDto) => ({
        type: 'postgres' as const,
        url: env.DATABASE_URL,
        autoLoadEntities: true,
        synchronize: false,
        migrationsRun: false,
        extra: { max: env.DATABASE_POOL_SIZE, connectionTimeoutMillis: 10_000 },
        // Failed queries surface as exceptions and are logged once, as JSON, by the error filter.
        logging: false,
      }),
    }),
  ],
})
export class DatabaseModule {}
