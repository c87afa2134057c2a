export const CONNECTOR_STATUSES = ['pending', 'pending_upload', 'active', 'inactive', 'error'] as const;
export type ConnectorStatus = (typeof CONNECTOR_STATUSES)[number];
export const CONNECTOR_ROLES = ['source', 'destination'] as const;
export type ConnectorRole = (typeof CONNECTOR_ROLES)[number];

/**
 * A stored connector as other features receive it from ConnectorService: plain data, the same
 * fields as the row. The TypeORM entity stays inside this lib; callers hand this record back
 * to ConnectorRuntime to open it.
 */
export interface ConnectorRecord {
  id: string;
  tenantId: string;
  name: string;
  type: string;
  role: ConnectorRole;
  description: string;
  config: Record<string, unknown>;
  authMethod: string | null;
  /** Sealed with the secret box (bound to the tenant); only ConnectorRuntime opens it. */
  authConfig: string | null;
  status: ConnectorStatus;
  managed: boolean;
  metadata: Record<string, unknown>;
  lastTestedAt: Date | null;
  lastError: string | null;
  lastSyncAt: Date | null;
  lastSyncRowCount: string | null;
  lastUsedAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}
