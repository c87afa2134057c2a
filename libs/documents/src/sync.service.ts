import { InjectQueue } from '@nestjs/bull';
import { Injectable, Optional } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import { ConnectorService, ConnectorRegistry } from '@sluice/connectors';
import {
  BadRequestError,
  ConflictError,
  DomainError,
  NotFoundError,
  TooManyRequestsError,
  newId,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageQueryDto,
  toPage,
  JobName,
  QueueName,
  retriedJob,
  SyncConnectorPayload,
  EnvDto,
  ConcurrencySlots,
  SharedMetrics,
} from '@sluice/core';
import type { Queue } from 'bull';
import { distinctUntilChanged, finalize, from, map, Observable, switchMap, takeWhile, timer } from 'rxjs';
import { SyncRunResponseDto } from './dto/sync.dto';
import { mapRun } from './mappers';
import { assertAvailable, assertPullable, assertSyncable } from './sync-rules';
import { EMPTY_PROGRESS, SyncRunEntity } from './sync-run.entity';
import { SyncRunRepository } from './sync-run.repository';

const EVENT_POLL_MS = 250;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** What a sync refused for the tenant's cap suggests waiting: syncs take a while. */
const BUSY_RETRY_AFTER_SECONDS = 30;

export interface MessageEvent {
  type: 'progress' | 'final';
  data: SyncRunResponseDto;
}

export interface StartedRun {
  run: SyncRunResponseDto;
  /** False when a run was already queued or running and is returned instead. */
  created: boolean;
}

/** The API side of syncs: one active run per connector, enqueued for the worker, stoppable. */
@Injectable()
export class SyncService {
  constructor(
    private readonly connectors: ConnectorService,
    private readonly runs: SyncRunRepository,
    private readonly registry: ConnectorRegistry,
    @InjectQueue(QueueName.ConnectorSync) private readonly queue: Queue<SyncConnectorPayload>,
    private readonly slots: ConcurrencySlots,
    private readonly env: EnvDto,
    @Optional() private readonly metrics?: SharedMetrics,
  ) {}

  async start(auth: AuthContext, connectorId: string, force: boolean): Promise<StartedRun> {
    const connector = await this.connectors.find(auth.tenantId, connectorId);
    const { info } = this.registry.get(connector.type);
    assertAvailable(info);
    assertPullable(info, connectorId);
    assertSyncable(connector);
    const run = await this.runs.insertActive(
      {
        id: newId('run'),
        tenantId: auth.tenantId,
        connectorId,
        status: 'queued',
        force,
        progress: { ...EMPTY_PROGRESS },
        error: null,
        cancelRequested: false,
        startedAt: null,
        finishedAt: null,
        createdBy: auth.userId,
      },
      this.env.SYNC_MAX_ACTIVE_PER_TENANT,
    );
    if (run === 'tenant_full') {
      throw new TooManyRequestsError(
        `At most ${this.env.SYNC_MAX_ACTIVE_PER_TENANT} syncs of a tenant may be queued or running at once (SYNC_MAX_ACTIVE_PER_TENANT); retry when one has finished, or stop one`,
        BUSY_RETRY_AFTER_SECONDS,
        'TOO_MANY_ACTIVE_SYNCS',
      );
    }
    if (run === 'connector_active') {
      const active = await this.runs.findActive(auth.tenantId, connectorId);
      if (active) return { run: mapRun(active), created: false };
      return this.start(auth, connectorId, force);
    }
    // The job id is the run id: a retried request cannot enqueue the same run twice.
    await this.queue.add(
      JobName.SyncConnector,
      { runId: run.id, tenantId: auth.tenantId, connectorId },
      retriedJob(run.id),
    );
    await this.metrics?.syncStarted(connector.type);
    return { run: mapRun(run), created: true };
  }

  /** Lists the files of a file connector into documents (a sync restricted to file sources). */
  async scanFiles(auth: AuthContext, connectorId: string): Promise<StartedRun> {
    const connector = await this.connectors.find(auth.tenantId, connectorId);
    if (this.registry.get(connector.type).info.category !== 'files') {
      throw new BadRequestError(
        'SCAN_NOT_SUPPORTED',
        `scan-files lists the files of file connectors; a ${connector.type} connector is synced with POST /connectors/{id}/sync`,
      );
    }
    return this.start(auth, connectorId, false);
  }

  /**
   * The run's progress as it changes, then its final state, for a UI that should not poll.
   * Each user or API key holds at most MAX_EVENT_STREAMS_PER_USER streams at once across
   * instances (429 beyond); otherwise as `watch`.
   */
  async events(auth: AuthContext, connectorId: string, runId: string): Promise<Observable<MessageEvent>> {
    await this.get(auth, connectorId, runId);
    const owner = auth.via === 'api_key' ? `key:${auth.apiKeyId}` : `user:${auth.userId}`;
    const limit = this.env.MAX_EVENT_STREAMS_PER_USER;
    const slot = await this.slots.tryAcquire('run-events', owner, limit);
    if (!slot) {
      throw new DomainError(
        429,
        'TOO_MANY_STREAMS',
        `At most ${limit} event streams may be open at once; close one first`,
      );
    }
    return this.changes(auth.tenantId, connectorId, runId).pipe(finalize(() => slot.release()));
  }

  /**
   * The run's progress as it changes, then its final state, without a stream slot: for an
   * operator following a run from the CLI. Read from the run row, so any process sees the run of
   * any worker. Ends when the run is final or gone (its connector deleted).
   */
  async watch(auth: AuthContext, connectorId: string, runId: string): Promise<Observable<MessageEvent>> {
    await this.get(auth, connectorId, runId);
    return this.changes(auth.tenantId, connectorId, runId);
  }

  private changes(tenantId: string, connectorId: string, runId: string): Observable<MessageEvent> {
    const fingerprint = (r: SyncRunEntity) => `${r.status}|${r.cancelRequested}|${JSON.stringify(r.progress)}`;
    return timer(0, EVENT_POLL_MS).pipe(
      switchMap(() => from(this.runs.findOne(tenantId, connectorId, runId))),
      // Deleting the connector deletes its runs: nothing more will come, so the stream ends.
      takeWhile((run): run is SyncRunEntity => run !== null),
      distinctUntilChanged((a, b) => fingerprint(a) === fingerprint(b)),
      map((run) => ({ type: FINAL.has(run.status) ? 'final' : 'progress', data: mapRun(run) }) as MessageEvent),
      takeWhile((event) => event.type !== 'final', true),
    );
  }

  /** Asks the active run to stop: a queued one is cancelled at once, a running one at its next batch. */
  async stop(auth: AuthContext, connectorId: string): Promise<SyncRunResponseDto> {
    const connector = await this.connectors.find(auth.tenantId, connectorId);
    const active = await this.runs.findActive(auth.tenantId, connectorId);
    if (!active) throw new ConflictError('NOTHING_RUNNING', 'No sync of this connector is queued or running');
    if (await this.runs.cancelIfQueued(auth.tenantId, active.id)) {
      await (await this.queue.getJob(active.id))?.remove().catch(() => undefined);
      await this.metrics?.syncFinished(connector.type, 'cancelled');
    } else {
      await this.runs.update(auth.tenantId, active.id, { cancelRequested: true });
    }
    return this.get(auth, connectorId, active.id);
  }

  async list(auth: AuthContext, connectorId: string, query: PageQueryDto): Promise<Page<SyncRunResponseDto>> {
    await this.connectors.find(auth.tenantId, connectorId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const [rows, total] = await this.runs.page(auth.tenantId, connectorId, limit, decodeCursor(query.cursor));
    return toPage(rows, total, limit, mapRun);
  }

  async get(auth: AuthContext, connectorId: string, runId: string): Promise<SyncRunResponseDto> {
    const run = await this.runs.findOne(auth.tenantId, connectorId, runId);
    if (!run) throw new NotFoundError('RUN_NOT_FOUND', 'Sync run not found');
    return mapRun(run);
  }
}
