/** Every Bull queue. The API only enqueues; the worker app consumes. */
export enum QueueName {
  ConnectorSync = 'connector-sync',
  DocumentSync = 'document-sync',
  SchemaRefresh = 'schema-refresh',
}

export const ALL_QUEUES: QueueName[] = Object.values(QueueName);
