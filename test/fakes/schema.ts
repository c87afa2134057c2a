import type { EnvDto, RefreshSchemaPayload } from '@sluice/core';
import type { ColumnInfo, ConnectorRegistry, ConnectorRuntime, ConnectorService, TableInfo } from '@sluice/connectors';
import { AnnotationService, SchemaService } from '@sluice/schema';
import type {
  AnnotationFilter,
  SchemaAnnotationEntity,
  SchemaRepository,
  SchemaSnapshotEntity,
} from '@sluice/schema/testing';
import { clone, FakeQueue, nextDate } from './common';
import { FakeConnectorService, FakeRegistry, fakePlugin, FakeRuntime } from './connectors';

type NewSnapshot = Omit<SchemaSnapshotEntity, 'annotationsRevision' | 'createdAt' | 'updatedAt'>;
type NewAnnotation = Omit<SchemaAnnotationEntity, 'createdAt' | 'updatedAt'>;

/** Column order of the SQL: table, then column with the table's own annotation (null) last. */
function byTableThenColumn(a: SchemaAnnotationEntity, b: SchemaAnnotationEntity): number {
  if (a.table !== b.table) return a.table < b.table ? -1 : 1;
  if (a.column === b.column) return 0;
  if (a.column === null) return 1;
  if (b.column === null) return -1;
  return a.column < b.column ? -1 : 1;
}

/** SchemaRepository over Maps: one snapshot per connector, annotations unique per (connector, table, column). */
export class FakeSchemaRepository implements Pick<SchemaRepository, keyof SchemaRepository> {
  readonly snapshots = new Map<string, SchemaSnapshotEntity>();
  readonly annotations = new Map<string, SchemaAnnotationEntity>();

  async findSnapshot(tenantId: string, connectorId: string): Promise<SchemaSnapshotEntity | null> {
    const found = this.snapshots.get(connectorId);
    return found?.tenantId === tenantId ? clone(found) : null;
  }

  async saveSnapshot(
    values: NewSnapshot,
    orphanedIds: (annotations: SchemaAnnotationEntity[]) => Set<string>,
  ): Promise<SchemaSnapshotEntity> {
    const previous = this.snapshots.get(values.connectorId);
    const at = nextDate();
    this.snapshots.set(values.connectorId, {
      ...clone(values),
      annotationsRevision: previous?.annotationsRevision ?? 0,
      createdAt: previous?.createdAt ?? at,
      updatedAt: at,
    });
    const mine = this.of(values.tenantId, values.connectorId);
    const orphaned = orphanedIds(mine.map(clone));
    for (const a of mine) a.orphaned = orphaned.has(a.id);
    return clone(this.snapshots.get(values.connectorId)!);
  }

  async listAnnotations(
    tenantId: string,
    connectorId: string,
    filter: AnnotationFilter = {},
  ): Promise<SchemaAnnotationEntity[]> {
    return this.of(tenantId, connectorId)
      .filter(
        (a) =>
          (filter.table === undefined || a.table === filter.table) &&
          (filter.orphaned === undefined || a.orphaned === filter.orphaned),
      )
      .sort(byTableThenColumn)
      .map(clone);
  }

  async findAnnotation(tenantId: string, connectorId: string, id: string): Promise<SchemaAnnotationEntity | null> {
    return clone(this.of(tenantId, connectorId).find((a) => a.id === id) ?? null);
  }

  async upsertAnnotation(values: NewAnnotation): Promise<SchemaAnnotationEntity> {
    const at = nextDate();
    const existing = [...this.annotations.values()].find(
      (a) => a.connectorId === values.connectorId && a.table === values.table && a.column === values.column,
    );
    if (existing) {
      Object.assign(existing, {
        description: values.description,
        tags: [...values.tags],
        context: values.context,
        orphaned: false,
        updatedBy: values.updatedBy,
        updatedAt: at,
      });
    } else {
      this.annotations.set(values.id, { ...clone(values), orphaned: false, createdAt: at, updatedAt: at });
    }
    this.bump(values.tenantId, values.connectorId);
    return clone(existing ?? this.annotations.get(values.id)!);
  }

  async deleteAnnotation(tenantId: string, connectorId: string, id: string): Promise<void> {
    if (this.of(tenantId, connectorId).some((a) => a.id === id)) this.annotations.delete(id);
    this.bump(tenantId, connectorId);
  }

  private of(tenantId: string, connectorId: string): SchemaAnnotationEntity[] {
    return [...this.annotations.values()].filter((a) => a.tenantId === tenantId && a.connectorId === connectorId);
  }

  private bump(tenantId: string, connectorId: string): void {
    const snapshot = this.snapshots.get(connectorId);
    if (snapshot?.tenantId === tenantId) snapshot.annotationsRevision++;
  }
}

/** A column as introspection returns it. */
export function column(name: string, overrides: Partial<ColumnInfo> = {}): ColumnInfo {
  return { name, type: 'text', nullable: true, default: null, primaryKey: false, comment: null, ...overrides };
}

/** A table as introspection returns it. */
export function table(
  schema: string | null,
  name: string,
  columns: string[],
  overrides: Partial<TableInfo> = {},
): TableInfo {
  return {
    schema,
    name,
    kind: 'table',
    comment: null,
    rowEstimate: null,
    columns: columns.map((c) => column(c)),
    primaryKey: [],
    foreignKeys: [],
    ...overrides,
  };
}

/**
 * A real SchemaService over fakes: SQL connectors of type `postgresql` introspect `source.tables`
 * (counted in `source.introspections`), `folder` connectors have no SQL.
 */
export function schemaWorld(env: Partial<EnvDto> = {}) {
  const connectors = new FakeConnectorService();
  const repo = new FakeSchemaRepository();
  const queue = new FakeQueue<RefreshSchemaPayload>();
  const source = { tables: [] as TableInfo[], introspections: 0, fail: null as Error | null };
  const sql = {
    dialect: 'postgresql' as const,
    introspect: async () => {
      source.introspections++;
      if (source.fail) throw source.fail;
      return { dialect: 'postgresql' as const, database: 'shop', tables: clone(source.tables), catalogQueries: 4 };
    },
    execute: async () => {
      throw new Error('not in these tests');
    },
  };
  const registry = new FakeRegistry()
    .register('postgresql', fakePlugin({ sql }), { dialect: 'postgresql' })
    .register('folder', fakePlugin(), { category: 'files' });
  const settings = { SCHEMA_CACHE_TTL_SECONDS: 3600, SCHEMA_INTROSPECT_TIMEOUT_MS: 5000, ...env } as EnvDto;
  const service = new SchemaService(
    connectors as unknown as ConnectorService,
    new FakeRuntime(registry) as unknown as ConnectorRuntime,
    registry as unknown as ConnectorRegistry,
    repo as unknown as SchemaRepository,
    settings,
    queue.asQueue(),
  );
  const annotations = new AnnotationService(service, repo as unknown as SchemaRepository);
  return { connectors, repo, queue, source, registry, service, annotations };
}
