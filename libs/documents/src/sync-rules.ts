import type { ConnectorRecord, ConnectorTypeInfo } from '@sluice/connectors';
import { ConflictError } from '@sluice/core';

/** A connector switched off, or still waiting for its file, has nothing to sync yet. */
export function assertSyncable(connector: Pick<ConnectorRecord, 'status'>): void {
  if (connector.status === 'inactive' || connector.status === 'pending_upload') {
    throw new ConflictError('CONNECTOR_NOT_ACTIVE', `Connector is not active (status: ${connector.status})`);
  }
}

/**
 * A coming-soon type can be saved and tested but has no sync yet: 409 rather than a run that
 * "succeeds" with zero documents.
 */
export function assertAvailable(info: Pick<ConnectorTypeInfo, 'type' | 'readiness'>): void {
  if (info.readiness === 'coming_soon') {
    throw new ConflictError(
      'CONNECTOR_NOT_AVAILABLE',
      `Connectors of type ${info.type} are coming soon: they can be saved and tested, but not synced yet`,
    );
  }
}

/** A type fed by pushes (webhooks) has nothing to pull: 409, and its pushed records stay. */
export function assertPullable(info: Pick<ConnectorTypeInfo, 'type' | 'receivesPushes'>, connectorId: string): void {
  if (info.receivesPushes) {
    throw new ConflictError(
      'CONNECTOR_RECEIVES_PUSHES',
      `Connectors of type ${info.type} receive records pushed to POST /api/v1/hooks/${connectorId}; there is nothing to pull`,
    );
  }
}
