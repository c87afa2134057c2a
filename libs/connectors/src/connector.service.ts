import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import {
  EnvDto,
  ConflictError,
  NotFoundError,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  encodeCursor,
  PaginationDto,
} from '@sluice/core';
import { mapConnector } from './connector.mapper';
import { ConnectorChanges, ConnectorRepository } from './connector.repository';
import { ConnectorRegistry } from './connector.registry';
import { ConnectorRuntime } from './connector.runtime';
import type { ConnectorRecord } from './connector.types';
import { applyAuthUpdate, assertSecretsResent, changedDestinationFields } from './credentials';
import { UploadService } from './files/upload.service';
import { JsonSchema } from './plugin/connector-plugin';
import { ParsedConnectionString, settingsFromConnection } from './plugins/sql-common/connection-string';
import {
  ConnectorResponseDto,
  CreateConnectorDto,
  ListConnectorsQueryDto,
  UpdateConnectorDto,
} from './dto/connector.dto';

/**
 * Config fields the schema marks `readOnly` are the server's to set (e.g. where an upload is
 * stored): dropped from what the client sends, kept from what is stored.
 */
function withServerFields(
  schema: JsonSchema,
  sent: Record<string, unknown>,
  stored: Record<string, unknown> = {},
): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, { readOnly?: boolean }>;
  const result = { ...sent };
  for (const [key, property] of Object.entries(properties)) {
    if (!property.readOnly) continue;
    delete result[key];
    if (key in stored) result[key] = stored[key];
  }
  return result;
}

/** The `connection` string of a request, split; undefined when none was sent. */
function fromConnection(
  type: string,
  dto: Pick<CreateConnectorDto, 'connection' | 'ssl'>,
): ParsedConnectionString | undefined {
  return dto.connection === undefined ? undefined : settingsFromConnection(type, dto.connection, dto.ssl);
}

export const CONNECTOR_NOT_FOUND = () => new NotFoundError('CONNECTOR_NOT_FOUND', 'Connector not found');

@Injectable()
export class ConnectorService {
  constructor(
    private readonly repo: ConnectorRepository,
    private readonly runtime: ConnectorRuntime,
    private readonly registry: ConnectorRegistry,
    private readonly uploads: UploadService,
    private readonly env: EnvDto,
  ) {}

  /**
   * A page of connectors as JSON text: a Page<ConnectorResponseDto> with the fields mapConnector
   * gives. PostgreSQL writes each row's public fields; only the masked credentials, which need
   * the key, are added here. The busiest read of the API thus neither parses nor builds objects
   * for its rows, nor serialises them again.
   */
  async list(auth: AuthContext, query: ListConnectorsQueryDto): Promise<string> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filter = { type: query.type, status: query.status, role: query.role, q: query.q };
    const { rows, total } = await this.repo.pageJson(auth.tenantId, filter, limit, decodeCursor(query.cursor));
    const hasMore = rows.length > limit;
    const count = hasMore ? limit : rows.length;
    let data = '';
    for (let i = 0; i < count; i++) {
      const row = rows[i];
      const masked = this.runtime.maskedAuthJson(row);
      // Every row object ends with its closing brace: the two credential fields go before it.
      data += `${i ? ',' : ''}${row.json.slice(0, -1)},"authConfigured":${masked.configured},"authConfig":${masked.json}}`;
    }
    const last = rows[count - 1];
    const nextCursor = hasMore ? encodeCursor({ createdAt: new Date(last.createdAt), id: last.id }) : null;
    const pagination: PaginationDto = { total, limit, hasMore, nextCursor };
    return `{"data":[${data}],"pagination":${JSON.stringify(pagination)}}`;
  }

  async get(auth: AuthContext, id: string): Promise<ConnectorResponseDto> {
    const connector = await this.find(auth.tenantId, id);
    return mapConnector(connector, this.runtime.maskedAuth(connector));
  }

  async create(auth: AuthContext, dto: CreateConnectorDto): Promise<ConnectorResponseDto> {
    const { plugin, info } = this.registry.get(dto.type);
    const fromString = fromConnection(dto.type, dto);
    const config = withServerFields(plugin.configSchema, {
      ...fromString?.config,
      ...dto.connectionConfig,
      ...dto.config,
    });
    const given = { ...fromString?.authConfig, ...dto.authConfig };
    const generated = plugin.generateSecrets?.(given) ?? {};
    const secrets = { ...given, ...generated };
    this.runtime.check(auth.tenantId, dto.type, config, secrets);
    await this.assertNameFree(auth.tenantId, dto.name);
    const entity = await this.repo.insert({
      tenantId: auth.tenantId,
      name: dto.name.trim(),
      type: dto.type,
      role: dto.role ?? 'source',
      description: dto.description ?? '',
      config,
      authMethod: dto.authMethod ?? null,
      authConfig: this.runtime.seal(auth.tenantId, secrets),
      // A type that takes uploads and was given no path waits for its file.
      status: info.capabilities.includes('upload') && config.path === undefined ? 'pending_upload' : 'pending',
      managed: false,
      createdBy: auth.userId,
    });
    const created = mapConnector(entity, secrets);
    return Object.keys(generated).length ? { ...created, generatedSecrets: generated } : created;
  }

  /**
   * Changes only the fields sent; credentials follow the contract of applyAuthUpdate, except
   * that stored secrets never follow a change of destination (see assertSecretsResent).
   */
  async update(auth: AuthContext, id: string, dto: UpdateConnectorDto): Promise<ConnectorResponseDto> {
    const current = await this.find(auth.tenantId, id);
    this.assertNotManaged(current);
    const fromString = fromConnection(current.type, dto);
    const configSent = dto.config !== undefined || dto.connectionConfig !== undefined || fromString !== undefined;
    const { plugin, info } = this.registry.get(current.type);
    const config = configSent
      ? withServerFields(
          plugin.configSchema,
          { ...fromString?.config, ...dto.connectionConfig, ...dto.config },
          current.config,
        )
      : current.config;
    // A connection string without a password (or with the mask) leaves the password to the contract.
    const stringAuth = fromString?.authConfig.password ? fromString.authConfig : undefined;
    const authSent = stringAuth !== undefined || dto.authConfig !== undefined;
    const incoming = authSent ? { ...stringAuth, ...dto.authConfig } : undefined;
    const stored = this.runtime.unseal(current);
    const secrets = applyAuthUpdate(stored, incoming);
    // After check: schema defaults are filled in, so a port left at its default is no change.
    const { registered } = this.runtime.check(auth.tenantId, current.type, config, secrets);
    assertSecretsResent(changedDestinationFields(info.destinationFields, current.config, config), stored, incoming);
    if (dto.name !== undefined && dto.name.trim().toLowerCase() !== current.name.toLowerCase()) {
      await this.assertNameFree(auth.tenantId, dto.name);
    }

    const changes: ConnectorChanges = {};
    if (dto.name !== undefined) changes.name = dto.name.trim();
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.authMethod !== undefined) changes.authMethod = dto.authMethod;
    if (configSent) changes.config = config;
    if (authSent) changes.authConfig = this.runtime.seal(auth.tenantId, secrets);
    if (dto.status === 'inactive') changes.status = 'inactive';
    if (dto.status === 'active' && current.status === 'inactive') changes.status = 'active';
    await this.repo.update(auth.tenantId, id, changes);
    // A changed address or password must not reuse a pool opened with the old one.
    if (configSent || authSent) await registered.plugin.release?.(id);
    return this.get(auth, id);
  }

  async remove(auth: AuthContext, id: string): Promise<void> {
    const current = await this.find(auth.tenantId, id);
    this.assertNotManaged(current);
    await this.runtime.releaseQuietly(current);
    await this.repo.delete(auth.tenantId, id);
    await this.uploads.discardConnector(auth.tenantId, id);
  }

  /**
   * Records a finished sync (called by the worker). `rowCount`: the data rows of the CSV files a
   * file source holds (null: none, or unknown); left out, the stored count is kept.
   */
  async markSynced(tenantId: string, id: string, rowCount?: number | null): Promise<void> {
    await this.repo.update(tenantId, id, {
      lastSyncAt: new Date(),
      ...(rowCount !== undefined ? { lastSyncRowCount: rowCount === null ? null : String(rowCount) } : {}),
    });
  }

  /** The connector of this tenant, or 404 (also for another tenant's id: no existence oracle). */
  async find(tenantId: string, id: string): Promise<ConnectorRecord> {
    const found = await this.repo.findOne(tenantId, id);
    if (!found) throw CONNECTOR_NOT_FOUND();
    return found;
  }

  private async assertNameFree(tenantId: string, name: string): Promise<void> {
    if (await this.repo.findByName(tenantId, name.trim())) {
      throw new ConflictError(
        'CONNECTOR_NAME_TAKEN',
        `A connector named "${name.trim()}" already exists in this tenant`,
      );
    }
  }

  private assertNotManaged(connector: ConnectorRecord): void {
    if (connector.managed) {
      throw new ConflictError(
        'CONNECTOR_MANAGED',
        `Connector "${connector.name}" is managed by ${this.env.CONNECTORS_FILE ?? 'the provisioning file'}; change it there`,
      );
    }
  }
}
