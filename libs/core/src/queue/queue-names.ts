import type { JobOptions } from 'bull';

/** Every Bull queue. The API only enqueues; the worker app consumes. */
export enum QueueName {
  ConnectorSync = 'connector-sync',
  DocumentSync = 'document-sync',
  SchemaRefresh = 'schema-refresh',
  Maintenance = 'maintenance',
}

export const ALL_QUEUES: QueueName[] = Object.values(QueueName);

/** Every job name. The worker refuses to start while one has no processor. */
export enum JobName {
  SyncConnector = 'sync-connector',
  SyncDocument = 'sync-document',
  RefreshSchema = 'refresh-schema',
  PruneHistory = 'prune-history',
}

/** The queue each job runs on. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.SyncConnector]: QueueName.ConnectorSync,
  [JobName.SyncDocument]: QueueName.DocumentSync,
  [JobName.RefreshSchema]: QueueName.SchemaRefresh,
  [JobName.PruneHistory]: QueueName.Maintenance,
};

/** The payload of a connector sync: the run row holds everything else (force, progress, cancel). */
export interface SyncConnectorPayload {
  runId: string;
  tenantId: string;
  connectorId: string;
}

/** The payload of a one-document sync: the document row holds its state (queued, syncing, stopped). */
export interface SyncDocumentPayload {
  tenantId: string;
  connectorId: string;
  documentId: string;
}

/** Re-introspects one connector's schema into the cache (after a sync, or when the cache is stale). */
export interface RefreshSchemaPayload {
  tenantId: string;
  connectorId: string;
}

/**
 * Options of a job whose transient failures retry with exponential backoff (permanent ones are
 * discarded by their processor); finished jobs stay a while for the queue dashboard.
 */
export function retriedJob(jobId?: string, delayMs = 2000): JobOptions {
  return {
    ...(jobId ? { jobId } : {}),
    attempts: 3,
    backoff: { type: 'exponential', delay: delayMs },
    removeOnComplete: 1000,
    removeOnFail: 1000,
  };
}

/** One waiting refresh per connector absorbs the others: the job id is the connector's. */
export function refreshSchemaJobOptions(connectorId: string): JobOptions {
  // Removed once complete, so the next refresh of this connector can reuse its job id.
  return { ...retriedJob(`schema:${connectorId}`, 5000), removeOnComplete: true, removeOnFail: 100 };
}

/** The payload of a history prune: one tenant, or every tenant when omitted (the hourly run). */
export interface PruneHistoryPayload {
  tenantId?: string;
}
