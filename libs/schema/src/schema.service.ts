import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { ConnectorRegistry, ConnectorRuntime, ConnectorService } from '@sluice/connectors';
import type { ConnectorRecord, SchemaSnapshot } from '@sluice/connectors';
import {
  EnvDto,
  BadRequestError,
  JobName,
  QueueName,
  RefreshSchemaPayload,
  refreshSchemaJobOptions,
} from '@sluice/core';
import type { Queue } from 'bull';
import { SchemaAnnotationEntity } from './schema-annotation.entity';
import { annotationTargetExists, encodeTables, tableKey } from './schema-model';
import { SchemaRepository } from './schema.repository';
import { SchemaSnapshotEntity } from './schema-snapshot.entity';

/** A cached schema as read, with what a response needs besides the tables. */
export interface CachedSchema {
  /** The connector it belongs to, found (and its tenant checked) on the way. */
  connector: ConnectorRecord;
  snapshot: SchemaSnapshotEntity;
  /** Older than SCHEMA_CACHE_TTL_SECONDS: served while a background refresh runs. */
  stale: boolean;
  /** Changes with the schema's fingerprint and with every annotation change. */
  version: string;
}

/**
 * The schema of SQL connectors, introspected through their plugin and cached in PostgreSQL.
 * A read is answered from the cache and never reaches the tenant's database; only a first read,
 * `refresh`, a sync or a stale cache (in the background, on the schema-refresh queue) introspects.
 */
@Injectable()
export class SchemaService {
  private readonly logger = new Logger('Schema');

  constructor(
    private readonly connectors: ConnectorService,
    private readonly runtime: ConnectorRuntime,
    private readonly registry: ConnectorRegistry,
    private readonly repo: SchemaRepository,
    private readonly env: EnvDto,
    @InjectQueue(QueueName.SchemaRefresh) private readonly queue: Queue<RefreshSchemaPayload>,
  ) {}

  /** The cached schema, introspected first if there is none (404 for another tenant's connector). */
  async read(tenantId: string, connectorId: string, refresh = false): Promise<CachedSchema> {
    const connector = await this.sqlConnector(tenantId, connectorId);
    const cached = refresh ? null : await this.repo.findSnapshot(tenantId, connectorId);
    const snapshot = cached ?? (await this.introspect(connector));
    const age = Date.now() - snapshot.introspectedAt.getTime();
    const stale = cached !== null && age > this.env.SCHEMA_CACHE_TTL_SECONDS * 1000;
    if (stale) await this.requestRefresh(tenantId, connectorId);
    return { connector, snapshot, stale, version: `${snapshot.fingerprint}.${snapshot.annotationsRevision}` };
  }

  /** The tables of a connector as other features use them (examples): from the cache, like any read. */
  async snapshot(tenantId: string, connectorId: string): Promise<SchemaSnapshot> {
    const { snapshot } = await this.read(tenantId, connectorId);
    return {
      dialect: snapshot.dialect,
      database: snapshot.database,
      tables: snapshot.tables,
      catalogQueries: snapshot.catalogQueries,
    };
  }

  /** Introspects now and replaces the cache (the schema-refresh job and `refresh=true`). */
  async refresh(tenantId: string, connectorId: string): Promise<SchemaSnapshotEntity> {
    return this.introspect(await this.sqlConnector(tenantId, connectorId));
  }

  /** Queues a background refresh; a refresh already waiting for this connector absorbs it. */
  async requestRefresh(tenantId: string, connectorId: string): Promise<void> {
    await this.queue.add(JobName.RefreshSchema, { tenantId, connectorId }, refreshSchemaJobOptions(connectorId));
  }

  /** The tenant's connector if it has a schema: 404 for another tenant's, 400 for a non-SQL one. */
  async sqlConnector(tenantId: string, connectorId: string): Promise<ConnectorRecord> {
    const connector = await this.connectors.find(tenantId, connectorId);
    if (!this.registry.get(connector.type).plugin.sql) {
      throw new BadRequestError(
        'SCHEMA_NOT_SUPPORTED',
        `Only SQL connectors have a schema; this one is of type ${connector.type}`,
      );
    }
    return connector;
  }

  private async introspect(connector: ConnectorRecord): Promise<SchemaSnapshotEntity> {
    const { registered, parsed } = this.runtime.open(connector);
    const ctx = this.runtime.context(connector.tenantId, connector.id, parsed, this.env.SCHEMA_INTROSPECT_TIMEOUT_MS);
    const started = Date.now();
    const result = await registered.plugin.sql!.introspect(ctx);
    const { tables, json, fingerprint, contentsHash } = encodeTables(result.tables);
    const byKey = new Map(tables.map((t) => [tableKey(t), t]));
    const saved = await this.repo.saveSnapshot(
      {
        connectorId: connector.id,
        tenantId: connector.tenantId,
        dialect: result.dialect,
        database: result.database,
        tables,
        fingerprint,
        contentsHash,
        catalogQueries: result.catalogQueries,
        introspectedAt: new Date(),
      },
      (annotations: SchemaAnnotationEntity[]) =>
        new Set(annotations.filter((a) => !annotationTargetExists(byKey, a)).map((a) => a.id)),
      json,
    );
    this.logger.log({
      connectorId: connector.id,
      tables: tables.length,
      catalogQueries: result.catalogQueries,
      ms: Date.now() - started,
      msg: 'Schema introspected',
    });
    return saved;
  }
}
