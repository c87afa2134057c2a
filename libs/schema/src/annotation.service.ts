import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import { BadRequestError, NotFoundError, newId } from '@sluice/core';
import {
  AnnotationListDto,
  AnnotationListQueryDto,
  AnnotationResponseDto,
  UpsertAnnotationDto,
} from './dto/schema.dto';
import { SchemaAnnotationEntity } from './schema-annotation.entity';
import { AnnotationNote, resolveColumn, resolveTable, tableKey } from './schema-model';
import { SchemaRepository } from './schema.repository';
import { SchemaService } from './schema.service';

function mapAnnotation(a: SchemaAnnotationEntity): AnnotationResponseDto {
  return {
    id: a.id,
    connectorId: a.connectorId,
    table: a.table,
    column: a.column,
    description: a.description,
    tags: a.tags,
    context: a.context,
    orphaned: a.orphaned,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

/**
 * Annotations of tables and columns. A new one must name a table (and column) the cached schema
 * has, under its exact name, so a typo fails loudly instead of becoming an orphan.
 */
@Injectable()
export class AnnotationService {
  constructor(
    private readonly schema: SchemaService,
    private readonly repo: SchemaRepository,
  ) {}

  /** Creates or replaces the annotation of one target; `created` is false when one was replaced. */
  async upsert(
    auth: AuthContext,
    connectorId: string,
    dto: UpsertAnnotationDto,
  ): Promise<{ annotation: AnnotationResponseDto; created: boolean }> {
    const { snapshot } = await this.schema.read(auth.tenantId, connectorId);
    const table = resolveTable(snapshot.tables, dto.table);
    if (!table) {
      throw new BadRequestError(
        'UNKNOWN_TABLE',
        `No table "${dto.table}" in this connector's schema (read GET /connectors/${connectorId}/schema/tables, or refresh it)`,
      );
    }
    const column = dto.column === undefined ? null : resolveColumn(table, dto.column);
    if (dto.column !== undefined && !column) {
      throw new BadRequestError('UNKNOWN_COLUMN', `Table ${tableKey(table)} has no column "${dto.column}"`);
    }
    const id = newId('annotation');
    const saved = await this.repo.upsertAnnotation({
      id,
      tenantId: auth.tenantId,
      connectorId,
      table: tableKey(table),
      column: column?.name ?? null,
      description: dto.description ?? null,
      tags: [...new Set(dto.tags ?? [])],
      context: dto.context ?? null,
      orphaned: false,
      createdBy: auth.userId,
      updatedBy: auth.userId,
    });
    // A replaced annotation keeps its first id, so a new id back means a new row.
    return { annotation: mapAnnotation(saved), created: saved.id === id };
  }

  async list(auth: AuthContext, connectorId: string, query: AnnotationListQueryDto): Promise<AnnotationListDto> {
    await this.schema.sqlConnector(auth.tenantId, connectorId);
    // Listing never introspects: a bare table name is resolved against the cache when there is one.
    const snapshot = query.table === undefined ? null : await this.repo.findSnapshot(auth.tenantId, connectorId);
    const known = snapshot && query.table !== undefined ? resolveTable(snapshot.tables, query.table) : null;
    const table = known ? tableKey(known) : query.table;
    const rows = await this.repo.listAnnotations(auth.tenantId, connectorId, { ...query, table });
    return { data: rows.map(mapAnnotation) };
  }

  /** What users said about the connector's tables and columns that still exist, for other features (NL2SQL). */
  async notes(tenantId: string, connectorId: string): Promise<AnnotationNote[]> {
    const rows = await this.repo.listAnnotations(tenantId, connectorId, { orphaned: false });
    return rows.map(({ table, column, description, tags, context }) => ({ table, column, description, tags, context }));
  }

  async remove(auth: AuthContext, connectorId: string, id: string): Promise<void> {
    await this.schema.sqlConnector(auth.tenantId, connectorId);
    if (!(await this.repo.findAnnotation(auth.tenantId, connectorId, id))) {
      throw new NotFoundError('ANNOTATION_NOT_FOUND', 'Annotation not found');
    }
    await this.repo.deleteAnnotation(auth.tenantId, connectorId, id);
  }
}
