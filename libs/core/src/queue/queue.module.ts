import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { EnvDto } from '../config/env.dto';
import { ALL_QUEUES } from './queue-names';

/** The Bull connection from REDIS_URL and every queue, registered once for the API and the worker. */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [EnvDto],
      useFactory: (env: EnvDto) => ({
        url: env.REDIS_URL,
        prefix: `${env.REDIS_KEY_PREFIX}:bull`,
        // A worker that dies keeps its job locked until the lock expires; then the stalled check re-queues it.
        settings: {
          lockDuration: env.QUEUE_LOCK_DURATION_MS,
          stalledInterval: env.QUEUE_STALLED_INTERVAL_MS,
          maxStalledCount: 2,
        },
        defaultJobOptions: { timeout: env.QUEUE_JOB_TIMEOUT_MS },
      }),
    }),
    BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
  ],
  exports: [BullModule],
})
export class QueueModule {}
