import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { ConnectorRuntime, ConnectorService, CsvRowTally } from '@sluice/connectors';
import type { ConnectorTypeInfo, DiscoveredItem } from '@sluice/connectors';
import {
  DomainError,
  isLastAttempt,
  isPermanent,
  messageOf,
  JobHandler,
  workerStop,
  WorkerStoppingError,
  JobName,
  QueueName,
  RefreshSchemaPayload,
  refreshSchemaJobOptions,
  SharedMetrics,
  SyncConnectorPayload,
  SyncOutcome,
} from '@sluice/core';
import type { Job, Queue } from 'bull';
import { DocumentRepository } from '../document.repository';
import { EMPTY_PROGRESS, RunProgress, SyncRunEntity } from '../sync-run.entity';
import { SyncRunRepository } from '../sync-run.repository';

/** A batch being stored: resolves to the run's progress once committed, null when the run was cancelled. */
interface StoringBatch {
  batch: DiscoveredItem[];
  done: Promise<RunProgress | null>;
}

/** Thrown inside a batch's transaction to roll its writes back when the run turned out cancelled. */
class RunCancelled extends Error {}

/**
 * True when two batches list a key in common: their transactions would then wait on each other's
 * rows, one of them on the database and the other in here, where no deadlock check sees it.
 */
function sharesKeys(a: DiscoveredItem[], b: DiscoveredItem[]): boolean {
  const keys = new Set(a.map((item) => item.externalId));
  return b.some((item) => keys.has(item.externalId));
}

// Discovery of a large source takes long; the signal only guards against a source that hangs.
const SYNC_DEADLINE_MS = 6 * 60 * 60 * 1000;

/**
 * Walks a connector's discover() in batches and upserts documents. Each batch and the run's
 * progress commit together; the stop flag is read between batches; documents the source no
 * longer has are marked deleted only when the walk completed, and only for snapshot types.
 * The next batch is asked for only after the previous one committed: append-mode plugins
 * acknowledge a batch to their source at that moment (see ConnectorPlugin.discover).
 */
@Injectable()
export class ConnectorSyncProcessor {
  private readonly logger = new Logger('ConnectorSync');
  /** The connector type of each run in flight here, for the labels of its metrics. */
  private readonly types = new Map<string, string>();

  constructor(
    private readonly runs: SyncRunRepository,
    private readonly documents: DocumentRepository,
    private readonly connectors: ConnectorService,
    private readonly runtime: ConnectorRuntime,
    @InjectQueue(QueueName.SchemaRefresh) private readonly schemaQueue: Queue<RefreshSchemaPayload>,
    @Optional() private readonly metrics?: SharedMetrics,
  ) {}

  @JobHandler(JobName.SyncConnector)
  async handle(job: Job<SyncConnectorPayload>): Promise<RunProgress | undefined> {
    const { runId, tenantId, connectorId } = job.data;
    // A run stopped while queued, or already finished by another worker, is left alone; one whose
    // stop came while its worker was dying is ended here, or it would block every later sync.
    if (!(await this.runs.claim(tenantId, runId))) {
      if (await this.runs.finishIfStopped(tenantId, runId)) await this.finished(job, 'cancelled');
      return undefined;
    }
    const run = (await this.runs.findOne(tenantId, connectorId, runId))!;
    let progress: RunProgress = { ...EMPTY_PROGRESS };
    try {
      const connector = await this.connectors.find(tenantId, connectorId);
      this.types.set(runId, connector.type);
      const { registered, parsed } = this.runtime.open(connector);
      const discover = registered.plugin.discover;
      if (!discover)
        throw new DomainError(400, 'SYNC_NOT_SUPPORTED', `Connectors of type ${connector.type} cannot be synced`);
      const ctx = this.runtime.context(tenantId, connectorId, parsed, SYNC_DEADLINE_MS);
      const csvRows = new CsvRowTally();

      // A snapshot source's next batch is written while the previous one commits (see storeBatch);
      // an append-mode source is acknowledged when asked for more, so its batches go one by one.
      const overlap = registered.info.syncMode !== 'append';
      let inFlight: StoringBatch | null = null;
      /** Takes in the progress of a stored batch; false when the run was cancelled instead. */
      const settle = async (storing: StoringBatch): Promise<boolean> => {
        const next = await storing.done;
        if (!next) return false;
        await this.countDocuments(job, progress, next);
        progress = next;
        await job.progress(progress.processed);
        return true;
      };
      try {
        for await (const batch of discover.call(registered.plugin, ctx)) {
          csvRows.note(batch);
          let previous: StoringBatch | null = inFlight;
          if (previous && sharesKeys(previous.batch, batch)) {
            const storing: StoringBatch = previous;
            inFlight = previous = null;
            if (!(await settle(storing))) return this.finish(job, 'cancelled', progress);
          }
          inFlight = this.storeBatch(run, batch, previous?.done ?? null, progress);
          if (previous && !(await settle(previous))) return this.finish(job, 'cancelled', progress);
          if (!overlap || workerStop.requested) {
            const storing = inFlight;
            inFlight = null;
            if (!(await settle(storing))) return this.finish(job, 'cancelled', progress);
          }
          // What was started is committed: a worker asked to stop hands the rest of the walk over here.
          if (workerStop.requested) throw new WorkerStoppingError();
        }
        if (inFlight) {
          const storing: StoringBatch = inFlight;
          inFlight = null;
          if (!(await settle(storing))) return this.finish(job, 'cancelled', progress);
        }
      } finally {
        // After a failure, the batch still in flight ends first (it waits on the one before it,
        // and rolls back when that one failed); if it committed, the run keeps its progress.
        const left = inFlight as StoringBatch | null;
        const next = left ? await left.done.catch(() => null) : null;
        if (next) {
          await this.countDocuments(job, progress, next);
          progress = next;
        }
      }

      // File sources stamp the data rows of their CSV files, counted while the run still shows
      // running (the stamp lands just after it turns succeeded); other types keep their count.
      const rowCount = registered.plugin.read ? await csvRows.count(registered.plugin, ctx, this.logger) : undefined;
      const done = await this.complete(run, registered.info, progress);
      if (!done) return this.finish(job, 'cancelled', progress);
      await this.countDocuments(job, progress, done);
      await this.finished(job, 'succeeded');
      progress = done;
      await this.connectors.markSynced(tenantId, connectorId, rowCount);
      // The schema cache follows the source: a synced SQL connector is introspected again.
      if (registered.plugin.sql) {
        await this.schemaQueue.add(
          JobName.RefreshSchema,
          { tenantId, connectorId },
          refreshSchemaJobOptions(connectorId),
        );
      }
      return progress;
    } catch (error) {
      return this.failed(job, error, progress);
    } finally {
      this.types.delete(runId);
    }
  }

  /**
   * Upserts one batch and advances the run's progress, in one transaction; null once the run is
   * cancelled.
   *
   * With `previous` (the batch before, still in flight), the documents are written first, at the
   * same time as the previous batch's, and only then does this transaction wait for it, take the
   * run's lock, check the stop flag and add to its progress: transactions still commit in order,
   * each with the progress up to its batch, and one that finds the run stopped rolls back. Two
   * batches in flight keep two database backends busy where one left the second core idle while
   * it committed. Without `previous` the lock and the stop flag come first, as a lone batch has
   * nothing to wait for.
   */
  private storeBatch(
    run: SyncRunEntity,
    batch: DiscoveredItem[],
    previous: Promise<RunProgress | null> | null,
    progress: RunProgress,
  ): StoringBatch {
    const ids = { tenantId: run.tenantId, connectorId: run.connectorId, runId: run.id };
    const done = this.documents
      .transaction(async (manager) => {
        let before = progress;
        if (previous === null) {
          if (await this.runs.lockAndCheckCancel(manager, ids.tenantId, ids.runId)) return null;
        }
        const counts = await this.documents.upsertBatch(manager, ids, batch, run.force);
        if (previous !== null) {
          const committed = await previous;
          // The previous batch was cancelled, or the run is now: roll these writes back.
          if (committed === null || (await this.runs.lockAndCheckCancel(manager, ids.tenantId, ids.runId))) {
            throw new RunCancelled();
          }
          before = committed;
        }
        const advanced: RunProgress = {
          ...before,
          processed: before.processed + batch.length,
          created: before.created + counts.created,
          updated: before.updated + counts.updated,
          unchanged: before.unchanged + counts.unchanged,
        };
        await this.runs.update(ids.tenantId, ids.runId, { progress: advanced }, manager);
        return advanced;
      })
      .catch((error: unknown) => {
        if (error instanceof RunCancelled) return null;
        throw error;
      });
    done.catch(() => undefined); // awaited by the caller; a failure must not also surface as unhandled
    return { batch, done };
  }

  /**
   * Ends a complete walk: the run succeeds, and documents the walk no longer listed are marked
   * deleted (only here: a cancelled or failed run must not delete anything). An append-mode walk
   * lists only what is new (messages), so what it did not list is not gone. Null when cancelled.
   */
  private complete(
    run: SyncRunEntity,
    info: Pick<ConnectorTypeInfo, 'syncMode' | 'pruneRecords'>,
    progress: RunProgress,
  ): Promise<RunProgress | null> {
    const ids = { tenantId: run.tenantId, connectorId: run.connectorId, runId: run.id };
    return this.documents.transaction(async (manager) => {
      if (await this.runs.lockAndCheckCancel(manager, ids.tenantId, ids.runId)) return null;
      const deleted =
        info.syncMode === 'append'
          ? 0
          : await this.documents.markUnseenDeleted(manager, ids, info.pruneRecords === true);
      const final = { ...progress, deleted, total: progress.processed };
      await this.runs.update(
        ids.tenantId,
        ids.runId,
        { status: 'succeeded', progress: final, finishedAt: new Date() },
        manager,
      );
      return final;
    });
  }

  private async finish(
    job: Job<SyncConnectorPayload>,
    status: 'cancelled',
    progress: RunProgress,
  ): Promise<RunProgress> {
    const { tenantId, runId } = job.data;
    await this.runs.update(tenantId, runId, { status, progress, finishedAt: new Date() });
    await this.finished(job, status);
    return progress;
  }

  /** Counts a run that reached its final state (for /metrics; written to Redis, see SharedMetrics). */
  private async finished(job: Job<SyncConnectorPayload>, outcome: SyncOutcome): Promise<void> {
    await this.metrics?.syncFinished(this.types.get(job.data.runId) ?? 'unknown', outcome);
  }

  /** Counts the documents a committed step wrote: the difference between two progress states. */
  private async countDocuments(job: Job<SyncConnectorPayload>, before: RunProgress, after: RunProgress): Promise<void> {
    await this.metrics?.syncDocuments(this.types.get(job.data.runId) ?? 'unknown', {
      created: after.created - before.created,
      updated: after.updated - before.updated,
      unchanged: after.unchanged - before.unchanged,
      deleted: after.deleted - before.deleted,
    });
  }

  /** Permanent errors fail the run at once; transient ones are retried by Bull with backoff. */
  private async failed(job: Job<SyncConnectorPayload>, error: unknown, progress: RunProgress): Promise<never> {
    const { runId, tenantId } = job.data;
    const message = messageOf(error);
    if (error instanceof WorkerStoppingError) {
      // Not a failure: give the job back its attempt, and the run back to the queue. Bull keeps
      // the job and runs it again after the backoff, on whichever worker is still there.
      job.opts.attempts = (job.opts.attempts ?? 1) + 1;
      this.logger.log({ runId, msg: 'Worker stopping: sync handed back to the queue after its last batch' });
      await this.runs.update(tenantId, runId, { status: 'queued', progress });
      throw error;
    }
    if (isPermanent(error) || isLastAttempt(job)) {
      if (isPermanent(error)) await job.discard();
      await this.runs.update(tenantId, runId, { status: 'failed', error: message, progress, finishedAt: new Date() });
      await this.finished(job, 'failed');
    } else {
      this.logger.warn({ runId, attempt: job.attemptsMade + 1, msg: `Sync failed, will retry: ${message}` });
      await this.runs.update(tenantId, runId, { status: 'queued', error: message, progress });
    }
    throw error;
  }
}
