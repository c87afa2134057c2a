import { Module } from '@nestjs/common';
import { QueueModule } from '@sluice/core';
import { HistoryModule } from '../history.module';
import { PruneHistoryProcessor } from './prune-history.processor';

/** The job processors of history (retention); imported by the worker app only. */
@Module({
  imports: [HistoryModule, QueueModule],
  providers: [PruneHistoryProcessor],
})
export class HistoryJobsModule {}
