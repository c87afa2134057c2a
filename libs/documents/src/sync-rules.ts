import type { ConnectorRecord } from '@sluice/connectors';
import { ConflictError } from '@sluice/core';

/** A connector switched off, or still waiting for its file, has nothing to sync yet. */
export function assertSyncable(connector: Pick<ConnectorRecord, 'status'>): void {
  if (connector.status === 'inactive' || connector.status === 'pending_upload') {
    throw new ConflictError('CONNECTOR_NOT_ACTIVE', `Connector is not active (status: ${connector.status})`);
  }
}
