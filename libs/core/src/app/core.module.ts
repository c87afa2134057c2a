import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ConfigModule } from '../config/config.module';
import { EnvDto } from '../config/env.dto';
import { DatabaseModule } from '../database/database.module';
import { AllExceptionsFilter } from '../errors/all-exceptions.filter';
import { createValidationPipe } from '../errors/validation';
import { RequestTimingInterceptor } from '../metrics/request-timing.interceptor';
import { MetricsService } from '../metrics/metrics.service';
import { QueueModule } from '../queue/queue.module';
import { RedisModule } from '../redis/redis';
import { ServiceController } from './service.controller';

/** What every app needs: config and PostgreSQL, plus Redis and the Bull queues unless told otherwise. */
@Module({})
export class CoreModule {
  static forRoot(env: EnvDto, options: { redis?: boolean } = {}): DynamicModule {
    const withRedis = options.redis ?? true;
    return {
      module: CoreModule,
      imports: [ConfigModule.forRoot(env), DatabaseModule, ...(withRedis ? [RedisModule.forRoot(), QueueModule] : [])],
      exports: withRedis ? [QueueModule] : [],
    };
  }
}

/**
 * What an HTTP app adds: the error filter, the validation pipe, metrics and the service routes.
 * Global, so the feature libraries can count into the one MetricsService of the app (they take
 * it as optional: the worker, which serves no /metrics, has none).
 */
@Global()
@Module({
  controllers: [ServiceController],
  providers: [
    MetricsService,
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_INTERCEPTOR, useClass: RequestTimingInterceptor },
  ],
  exports: [MetricsService],
})
export class HttpCoreModule {}
