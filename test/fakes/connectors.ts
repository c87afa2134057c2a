import { BadRequestError, NotFoundError, newId } from '@sluice/core';
import type {
  ConnectorContext,
  ConnectorPlugin,
  ConnectorRegistry,
  ConnectorRuntime,
  ConnectorService,
  ConnectorTypeInfo,
  OpenedConnector,
  RegisteredPlugin,
} from '@sluice/connectors';
import type { ConnectorEntity, ConnectorRepository } from '@sluice/connectors/testing';
import { Logger } from '@nestjs/common';
import { nextDate, TENANT_A } from './common';

export function connectorRow(overrides: Partial<ConnectorEntity> = {}): ConnectorEntity {
  const at = nextDate();
  return {
    id: newId('connector'),
    tenantId: TENANT_A,
    name: 'Warehouse',
    type: 'postgresql',
    role: 'source',
    description: '',
    config: {},
    authMethod: null,
    authConfig: null,
    status: 'active',
    managed: false,
    metadata: {},
    lastTestedAt: null,
    lastError: null,
    lastSyncAt: null,
    lastSyncRowCount: null,
    lastUsedAt: null,
    createdBy: null,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/** The part of ConnectorService other features use: find (404 across tenants) and markSynced; and update. */
export class FakeConnectorService
  implements Pick<ConnectorService, 'find' | 'markSynced'>, Pick<ConnectorRepository, 'update'>
{
  readonly rows = new Map<string, ConnectorEntity>();

  add(overrides: Partial<ConnectorEntity> = {}): ConnectorEntity {
    const row = connectorRow(overrides);
    this.rows.set(row.id, row);
    return row;
  }

  async find(tenantId: string, id: string): Promise<ConnectorEntity> {
    const found = this.rows.get(id);
    if (!found || found.tenantId !== tenantId) throw new NotFoundError('CONNECTOR_NOT_FOUND', 'Connector not found');
    return { ...found };
  }

  /** ConnectorRepository.update, over the same rows (the probe service writes through the repository). */
  async update(tenantId: string, id: string, changes: Partial<ConnectorEntity>): Promise<void> {
    const found = this.rows.get(id);
    if (found && found.tenantId === tenantId) Object.assign(found, changes);
  }

  async markSynced(tenantId: string, id: string, rowCount?: number | null): Promise<void> {
    const found = this.rows.get(id);
    if (!found || found.tenantId !== tenantId) return;
    found.lastSyncAt = new Date();
    if (rowCount !== undefined) found.lastSyncRowCount = rowCount === null ? null : String(rowCount);
  }
}

/** A plugin that answers nothing until a test gives it what it needs. */
export function fakePlugin(parts: Partial<ConnectorPlugin<unknown>> = {}): ConnectorPlugin<unknown> {
  return {
    configSchema: { type: 'object' },
    authSchema: { type: 'object' },
    parseConfig: (config) => config,
    test: async () => ({ success: true, message: 'ok', details: {} }),
    ...parts,
  };
}

export function typeInfo(type: string, overrides: Partial<ConnectorTypeInfo> = {}): ConnectorTypeInfo {
  return {
    type,
    category: 'sql',
    displayName: type,
    description: type,
    readiness: 'ready',
    capabilities: [],
    destinationFields: [],
    syncMode: 'snapshot',
    ...overrides,
  };
}

/** Connector types by name; an unknown one is the same 400 the real registry answers. */
export class FakeRegistry implements Pick<ConnectorRegistry, 'get' | 'list'> {
  private readonly byType = new Map<string, RegisteredPlugin>();

  register(type: string, plugin: ConnectorPlugin<unknown>, info: Partial<ConnectorTypeInfo> = {}): this {
    this.byType.set(type, { info: typeInfo(type, info), plugin });
    return this;
  }

  get(type: string): RegisteredPlugin {
    const found = this.byType.get(type);
    if (!found) throw new BadRequestError('UNKNOWN_CONNECTOR_TYPE', `Unknown connector type "${type}"`);
    return found;
  }

  list(): RegisteredPlugin[] {
    return [...this.byType.values()];
  }
}

/** Opens connectors without secrets or schema checks: the config is the parsed configuration. */
export class FakeRuntime implements Pick<ConnectorRuntime, 'open' | 'check' | 'context'> {
  readonly contexts: ConnectorContext<unknown>[] = [];

  constructor(private readonly registry: FakeRegistry) {}

  open(entity: ConnectorEntity): OpenedConnector {
    return { registered: this.registry.get(entity.type), parsed: entity.config };
  }

  check(_tenantId: string, type: string, config: Record<string, unknown>): OpenedConnector {
    return { registered: this.registry.get(type), parsed: config };
  }

  context<C>(tenantId: string, connectorId: string | null, parsed: C, timeoutMs: number): ConnectorContext<C> {
    const ctx: ConnectorContext<C> = {
      tenantId,
      connectorId,
      config: parsed,
      signal: AbortSignal.timeout(timeoutMs),
      net: undefined as never,
      logger: new Logger('FakeRuntime'),
    };
    this.contexts.push(ctx as ConnectorContext<unknown>);
    return ctx;
  }
}
