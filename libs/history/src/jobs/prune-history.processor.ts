import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { JobHandler, JobName, PruneHistoryPayload, QueueName } from '@sluice/core';
import type { Job, Queue } from 'bull';
import { HistoryService } from '../history.service';

/** How often every tenant's history is cut back to HISTORY_MAX_PER_TENANT. */
export const PRUNE_HISTORY_EVERY_MS = 3_600_000;
/** Fixed, so every worker registers the same repeatable job instead of one each. */
export const PRUNE_HISTORY_JOB_ID = 'prune-history-hourly';

/** The retention of query history: an hourly repeatable job, registered by each worker at start. */
@Injectable()
export class PruneHistoryProcessor implements OnModuleInit {
  private readonly logger = new Logger('History');

  constructor(
    private readonly history: HistoryService,
    @InjectQueue(QueueName.Maintenance) private readonly queue: Queue<PruneHistoryPayload>,
  ) {}

  // At module init, before JobRunner starts processing (at bootstrap): a repeatable job added
  // while the queue's processor is still starting leaves Bull commands in flight that fail if the
  // worker is closed straight away.
  async onModuleInit(): Promise<void> {
    await this.schedule();
  }

  /**
   * Registers the hourly run. Bull keys a repeatable job by name, jobId and interval, so N
   * workers (or restarts) registering it leave one schedule, not N.
   */
  async schedule(): Promise<void> {
    await this.queue.add(
      JobName.PruneHistory,
      {},
      {
        repeat: { every: PRUNE_HISTORY_EVERY_MS },
        jobId: PRUNE_HISTORY_JOB_ID,
        removeOnComplete: 24,
        removeOnFail: 100,
      },
    );
  }

  @JobHandler(JobName.PruneHistory)
  async handle(job: Job<PruneHistoryPayload>): Promise<{ deleted: number }> {
    const deleted = await this.history.prune(job.data.tenantId);
    if (deleted > 0) this.logger.log({ deleted, tenantId: job.data.tenantId ?? 'all' }, 'Pruned query history');
    return { deleted };
  }
}
