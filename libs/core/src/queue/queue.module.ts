import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { EnvDto } from '../config/env.dto';
import { ALL_QUEUES } from './queue-names';

/** The Bull connection from REDIS_URL and every queue, registered once for the API and the worker. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [EnvDto],
      useFactory: (env: EnvDto) => ({ url: env.REDIS_URL, prefix: `${env.REDIS_KEY_PREFIX}:bull` }),
    }),
    BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
  ],
  exports: [BullModule],
})
export class QueueModule {}
