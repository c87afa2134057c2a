import { Inject, Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import type { TableInfo } from '@sluice/connectors';
import {
  SCHEMA_PAGE_DEFAULT,
  SchemaQueryDto,
  SchemaResponseDto,
  SchemaTableDto,
  SchemaTablesQueryDto,
  SchemaTablesResponseDto,
} from './dto/schema.dto';
import { SchemaAnnotationEntity } from './schema-annotation.entity';
import {
  decodeTableCursor,
  encodeTableCursor,
  relationshipsOf,
  resolveTable,
  tableKey,
  tableMatches,
} from './schema-model';
import { SchemaRepository } from './schema.repository';
import { CachedSchema, SchemaService } from './schema.service';
import { TRAINED_TABLES, TrainedTables } from './trained-tables';

interface Selection {
  cached: CachedSchema;
  page: TableInfo[];
  notes: Map<string, SchemaAnnotationEntity[]>;
  trained: Set<string>;
  total: number;
  hasMore: boolean;
}

/** Schema reads as the API answers them: annotations merged in, filtered by q and tables, paged by table. */
@Injectable()
export class SchemaViewService {
  constructor(
    private readonly schema: SchemaService,
    private readonly repo: SchemaRepository,
    @Inject(TRAINED_TABLES) private readonly training: TrainedTables,
  ) {}

  async full(auth: AuthContext, connectorId: string, query: SchemaQueryDto): Promise<SchemaResponseDto> {
    const selection = await this.select(auth, connectorId, query, query.refresh ?? false);
    const tables = selection.page.map((t) => this.mergeTable(t, selection));
    const keys = new Set(selection.page.map(tableKey));
    const relationships = relationshipsOf(selection.cached.snapshot.tables).filter(
      (r) => keys.has(r.fromTable) || keys.has(r.toTable),
    );
    return { ...this.header(connectorId, selection, query), tables, relationships };
  }

  async tables(auth: AuthContext, connectorId: string, query: SchemaTablesQueryDto): Promise<SchemaTablesResponseDto> {
    const selection = await this.select(auth, connectorId, query, false);
    const tables = selection.page.map((t) => {
      const own = (selection.notes.get(tableKey(t)) ?? []).find((n) => n.column === null);
      return {
        schema: t.schema,
        name: t.name,
        kind: t.kind,
        columnCount: t.columns.length,
        description: own?.description ?? t.comment,
        rowEstimate: t.rowEstimate,
        trained: selection.trained.has(tableKey(t)),
      };
    });
    return { ...this.header(connectorId, selection, query), tables };
  }

  private async select(
    auth: AuthContext,
    connectorId: string,
    query: SchemaTablesQueryDto,
    refresh: boolean,
  ): Promise<Selection> {
    const cached = await this.schema.read(auth.tenantId, connectorId, refresh);
    const [annotations, trained] = await Promise.all([
      this.repo.listAnnotations(auth.tenantId, connectorId, { orphaned: false }),
      this.training.trainedTables(auth.tenantId, connectorId),
    ]);
    const notes = new Map<string, SchemaAnnotationEntity[]>();
    for (const a of annotations) notes.set(a.table, [...(notes.get(a.table) ?? []), a]);

    let tables = cached.snapshot.tables;
    if (query.tables) {
      const wanted = new Set(
        query.tables
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean)
          .map((name) => resolveTable(tables, name))
          .filter((t): t is TableInfo => t !== null)
          .map(tableKey),
      );
      tables = tables.filter((t) => wanted.has(tableKey(t)));
    }
    if (query.q) tables = tables.filter((t) => tableMatches(t, notes.get(tableKey(t)) ?? [], query.q!));
    const total = tables.length;
    const after = decodeTableCursor(query.cursor);
    // Snapshots store their tables sorted by key, so a page starts after the cursor's key.
    if (after !== undefined) tables = tables.filter((t) => tableKey(t) > after);
    const limit = query.limit ?? SCHEMA_PAGE_DEFAULT;
    return { cached, page: tables.slice(0, limit), notes, trained, total, hasMore: tables.length > limit };
  }

  private header(connectorId: string, s: Selection, query: SchemaTablesQueryDto) {
    const { snapshot } = s.cached;
    const last = s.page[s.page.length - 1];
    return {
      connectorId,
      dialect: snapshot.dialect,
      database: snapshot.database,
      introspectedAt: snapshot.introspectedAt.toISOString(),
      fingerprint: snapshot.fingerprint,
      version: s.cached.version,
      stale: s.cached.stale,
      pagination: {
        total: s.total,
        limit: query.limit ?? SCHEMA_PAGE_DEFAULT,
        hasMore: s.hasMore,
        nextCursor: s.hasMore && last ? encodeTableCursor(tableKey(last)) : null,
      },
    };
  }

  private mergeTable(table: TableInfo, s: Selection): SchemaTableDto {
    const notes = s.notes.get(tableKey(table)) ?? [];
    const own = notes.find((n) => n.column === null);
    return {
      schema: table.schema,
      name: table.name,
      kind: table.kind,
      description: own?.description ?? table.comment,
      tags: own?.tags ?? [],
      context: own?.context ?? null,
      rowEstimate: table.rowEstimate,
      trained: s.trained.has(tableKey(table)),
      primaryKey: table.primaryKey,
      columns: table.columns.map((c) => {
        const note = notes.find((n) => n.column === c.name);
        return {
          name: c.name,
          type: c.type,
          nullable: c.nullable,
          primaryKey: c.primaryKey,
          default: c.default,
          description: note?.description ?? c.comment,
          tags: note?.tags ?? [],
          context: note?.context ?? null,
        };
      }),
      foreignKeys: table.foreignKeys,
    };
  }
}
