import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { NotFoundError } from '@sluice/core';
import { DataSource, Repository } from 'typeorm';
import { SchemaAnnotationEntity } from './schema-annotation.entity';
import { SchemaSnapshotEntity } from './schema-snapshot.entity';

export interface AnnotationFilter {
  table?: string;
  orphaned?: boolean;
}

/** What a new introspection stores; without a contents hash the tables are always written. */
export type SnapshotValues = Omit<
  SchemaSnapshotEntity,
  'annotationsRevision' | 'createdAt' | 'updatedAt' | 'contentsHash'
> & { contentsHash?: string | null };

interface SavedRow {
  annotations_revision: number;
  created_at: Date;
  updated_at: Date;
}

const connectorNotFound = (): NotFoundError =>
  new NotFoundError('CONNECTOR_NOT_FOUND', 'No connector with this id in this tenant');

@Injectable()
export class SchemaRepository {
  constructor(
    @InjectRepository(SchemaSnapshotEntity) private readonly snapshots: Repository<SchemaSnapshotEntity>,
    @InjectRepository(SchemaAnnotationEntity) private readonly annotations: Repository<SchemaAnnotationEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  findSnapshot(tenantId: string, connectorId: string): Promise<SchemaSnapshotEntity | null> {
    return this.snapshots.findOne({ where: { tenantId, connectorId } });
  }

  /**
   * Stores a fresh introspection and re-judges which annotations lost their table or column, in
   * one transaction. The annotations revision survives: it counts annotation changes only.
   *
   * When the stored contents hash equals `values.contentsHash`, the tables already stored are the
   * same and only the rest of the row is updated: on a large schema the tables are megabytes. The
   * answer is built from `values` and the few columns the database fills in, not read back.
   * `tablesJson` gives the tables' JSON when they must be written.
   */
  async saveSnapshot(
    values: SnapshotValues,
    orphanedIds: (annotations: SchemaAnnotationEntity[]) => Set<string>,
    tablesJson: () => string = () => JSON.stringify(values.tables),
  ): Promise<SchemaSnapshotEntity> {
    const contentsHash = values.contentsHash ?? null;
    return this.dataSource.transaction(async (manager) => {
      let rows: SavedRow[] = [];
      if (contentsHash !== null) {
        // TypeORM answers an UPDATE with [rows, affected count].
        [rows] = await manager.query(
          `UPDATE schema_snapshots SET
             dialect = $3, database = $4, fingerprint = $5, catalog_queries = $6, introspected_at = $7,
             updated_at = now()
           WHERE connector_id = $1 AND tenant_id = $2 AND contents_hash = $8
           RETURNING annotations_revision, created_at, updated_at`,
          [
            values.connectorId,
            values.tenantId,
            values.dialect,
            values.database,
            values.fingerprint,
            values.catalogQueries,
            values.introspectedAt,
            contentsHash,
          ],
        );
      }
      if (rows.length === 0) {
        rows = await manager.query(
          `INSERT INTO schema_snapshots
             (connector_id, tenant_id, dialect, database, tables, fingerprint, catalog_queries, introspected_at,
              contents_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (connector_id) DO UPDATE SET
             dialect = EXCLUDED.dialect, database = EXCLUDED.database, tables = EXCLUDED.tables,
             fingerprint = EXCLUDED.fingerprint, catalog_queries = EXCLUDED.catalog_queries,
             introspected_at = EXCLUDED.introspected_at, contents_hash = EXCLUDED.contents_hash, updated_at = now()
           WHERE schema_snapshots.tenant_id = EXCLUDED.tenant_id
           RETURNING annotations_revision, created_at, updated_at`,
          [
            values.connectorId,
            values.tenantId,
            values.dialect,
            values.database,
            tablesJson(),
            values.fingerprint,
            values.catalogQueries,
            values.introspectedAt,
            contentsHash,
          ],
        );
      }
      // The update is skipped when the row belongs to another tenant: nothing comes back.
      if (rows.length === 0) throw connectorNotFound();
      const annotations = await manager.find(SchemaAnnotationEntity, {
        where: { tenantId: values.tenantId, connectorId: values.connectorId },
      });
      const orphaned = orphanedIds(annotations);
      const flip = (to: boolean) =>
        annotations.filter((a) => a.orphaned !== to && orphaned.has(a.id) === to).map((a) => a.id);
      for (const to of [true, false]) {
        const ids = flip(to);
        if (ids.length) {
          await manager.query('UPDATE schema_annotations SET orphaned = $1, updated_at = now() WHERE id = ANY($2)', [
            to,
            ids,
          ]);
        }
      }
      const [row] = rows;
      return Object.assign(new SchemaSnapshotEntity(), values, {
        contentsHash,
        annotationsRevision: row.annotations_revision,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      });
    });
  }

  listAnnotations(
    tenantId: string,
    connectorId: string,
    filter: AnnotationFilter = {},
  ): Promise<SchemaAnnotationEntity[]> {
    return this.annotations.find({
      where: {
        tenantId,
        connectorId,
        ...(filter.table !== undefined ? { table: filter.table } : {}),
        ...(filter.orphaned !== undefined ? { orphaned: filter.orphaned } : {}),
      },
      order: { table: 'ASC', column: 'ASC' },
    });
  }

  findAnnotation(tenantId: string, connectorId: string, id: string): Promise<SchemaAnnotationEntity | null> {
    return this.annotations.findOne({ where: { tenantId, connectorId, id } });
  }

  /**
   * Inserts or updates the annotation of one table or column, and bumps the schema's
   * annotations revision in the same transaction so caches keyed by it are dropped.
   */
  async upsertAnnotation(
    values: Omit<SchemaAnnotationEntity, 'createdAt' | 'updatedAt'>,
  ): Promise<SchemaAnnotationEntity> {
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ id: string }> = await manager.query(
        `INSERT INTO schema_annotations
           (id, tenant_id, connector_id, table_name, column_name, description, tags, context, orphaned, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false, $9, $9)
         ON CONFLICT (connector_id, table_name, COALESCE(column_name, '')) DO UPDATE SET
           description = EXCLUDED.description, tags = EXCLUDED.tags, context = EXCLUDED.context,
           orphaned = false, updated_by = EXCLUDED.updated_by, updated_at = now()
         WHERE schema_annotations.tenant_id = EXCLUDED.tenant_id
         RETURNING id`,
        [
          values.id,
          values.tenantId,
          values.connectorId,
          values.table,
          values.column,
          values.description,
          values.tags,
          values.context,
          values.updatedBy,
        ],
      );
      // The update is skipped when the row belongs to another tenant: nothing comes back.
      if (rows.length === 0) throw connectorNotFound();
      await this.bumpRevision(manager.query.bind(manager), values.tenantId, values.connectorId);
      return (await manager.findOne(SchemaAnnotationEntity, { where: { id: rows[0].id } }))!;
    });
  }

  async deleteAnnotation(tenantId: string, connectorId: string, id: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.delete(SchemaAnnotationEntity, { tenantId, connectorId, id });
      await this.bumpRevision(manager.query.bind(manager), tenantId, connectorId);
    });
  }

  private async bumpRevision(
    run: (sql: string, params: unknown[]) => Promise<unknown>,
    tenantId: string,
    connectorId: string,
  ): Promise<void> {
    await run(
      `UPDATE schema_snapshots SET annotations_revision = annotations_revision + 1, updated_at = now()
        WHERE tenant_id = $1 AND connector_id = $2`,
      [tenantId, connectorId],
    );
  }
}
