import { ConnectorEntity } from './connector.entity';
import { maskAuth } from './credentials';
import { ConnectorResponseDto } from './dto/connector.dto';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The public view of a connector: credentials only as masked field names. */
export function mapConnector(c: ConnectorEntity, auth: Record<string, unknown>): ConnectorResponseDto {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    role: c.role,
    description: c.description,
    config: c.config,
    authMethod: c.authMethod,
    authConfigured: Object.keys(auth).length > 0,
    authConfig: maskAuth(auth),
    status: c.status,
    managed: c.managed,
    metadata: c.metadata,
    lastTestedAt: iso(c.lastTestedAt),
    lastError: c.lastError,
    lastSyncAt: iso(c.lastSyncAt),
    lastSyncRowCount: c.lastSyncRowCount === null ? null : Number(c.lastSyncRowCount),
    lastUsedAt: iso(c.lastUsedAt),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}
