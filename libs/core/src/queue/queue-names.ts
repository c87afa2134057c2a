/** Every Bull queue. The API only enqueues; the worker app consumes. */
export enum QueueName {
  ConnectorSync = 'connector-sync',
  DocumentSync = 'document-sync',
  SchemaRefresh = 'schema-refresh',
}

export const ALL_QUEUES: QueueName[] = Object.values(QueueName);

/** Every job name. The worker refuses to start while one has no processor. */
export enum JobName {
  SyncConnector = 'sync-connector',
  SyncDocument = 'sync-document',
}

/** The queue each job runs on. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.SyncConnector]: QueueName.ConnectorSync,
  [JobName.SyncDocument]: QueueName.DocumentSync,
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
