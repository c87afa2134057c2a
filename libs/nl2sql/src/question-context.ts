import { Inject, Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import { ConnectorRegistry } from '@sluice/connectors';
import type { ConnectorRecord, SchemaSnapshot, SqlDialect, TableInfo } from '@sluice/connectors';
import {
  AnnotationService,
  AnnotationNote,
  resolveTable,
  tableKey,
  SchemaService,
  TRAINED_TABLES,
  TrainedTables,
} from '@sluice/schema';
import { LinkableTable } from './context/schema-linker';
import { SqlGuard } from './guard/sql-guard';

/** Everything SQL about one connector is checked against: nothing else of the tenant's. */
export interface QuestionContext {
  connector: ConnectorRecord;
  dialect: SqlDialect;
  snapshot: SchemaSnapshot;
  /** The schema cache's version: changes with the schema's fingerprint and every annotation change. */
  schemaVersion: string;
  annotations: AnnotationNote[];
  /** Columns withheld from this caller (pii, for viewers). */
  withheld: Array<{ table: string; column: string }>;
}

/**
 * Linkable table lists kept (one per connector and set of withheld columns): a 2,000-table list
 * with the linker's structures built on it takes tens of megabytes.
 */
const LINKABLE_CACHE_SIZE = 16;

/** The connector, its cached schema and annotations as NL2SQL and the guard see them. */
@Injectable()
export class QuestionContextService {
  private readonly linkableCache = new Map<string, { version: string; tables: LinkableTable[] }>();

  constructor(
    private readonly schema: SchemaService,
    private readonly annotations: AnnotationService,
    private readonly registry: ConnectorRegistry,
    @Inject(TRAINED_TABLES) private readonly training: TrainedTables,
    private readonly guard: SqlGuard,
  ) {}

  /** 404 for another tenant's connector, 400 for one without a schema; the schema from the cache. */
  async load(auth: AuthContext, connectorId: string): Promise<QuestionContext> {
    const { connector, snapshot, version } = await this.schema.read(auth.tenantId, connectorId);
    const annotations = await this.annotations.notes(auth.tenantId, connectorId);
    const withheld =
      auth.role === 'viewer'
        ? annotations
            .filter((a) => a.column !== null && a.tags.includes('pii'))
            .map((a) => ({ table: a.table, column: a.column! }))
        : [];
    return { connector, dialect: snapshot.dialect, snapshot, schemaVersion: version, annotations, withheld };
  }

  /** The connector's dialect, without reading its schema (explain needs nothing more). */
  async dialect(auth: AuthContext, connectorId: string): Promise<SqlDialect> {
    const connector = await this.schema.sqlConnector(auth.tenantId, connectorId);
    return this.registry.get(connector.type).info.dialect!;
  }

  /**
   * Tables for schema linking, annotations merged; columns withheld from this caller left out.
   * The same list (the same objects) comes back while the schema, its annotations, the trained
   * tables and what is withheld stay the same, so what the linker derives from it is built once
   * (see schema-linker.ts, table-ranker.ts); any change gives a new list at the next question.
   */
  async linkables(ctx: QuestionContext): Promise<LinkableTable[]> {
    const trained = await this.training.trainedTables(ctx.connector.tenantId, ctx.connector.id);
    const { connector } = ctx;
    const withheld = ctx.withheld.map((w) => `${w.table}\u0000${w.column}`).sort();
    const slot = `${connector.tenantId}/${connector.id}/${withheld.join('\u0001')}`;
    const version = `${ctx.schemaVersion}/${[...trained].sort().join('\u0001')}`;
    const cached = this.linkableCache.get(slot);
    // Re-inserted on a hit: the Map's order is then least recently used first.
    this.linkableCache.delete(slot);
    if (cached?.version === version) {
      this.linkableCache.set(slot, cached);
      return cached.tables;
    }
    const tables = this.mergeLinkables(ctx, trained);
    this.linkableCache.set(slot, { version, tables });
    if (this.linkableCache.size > LINKABLE_CACHE_SIZE) {
      this.linkableCache.delete(this.linkableCache.keys().next().value!);
    }
    return tables;
  }

  private mergeLinkables(ctx: QuestionContext, trained: Set<string>): LinkableTable[] {
    const byTable = new Map<string, AnnotationNote[]>();
    for (const note of ctx.annotations) {
      const notes = byTable.get(note.table);
      if (notes) notes.push(note);
      else byTable.set(note.table, [note]);
    }
    return ctx.snapshot.tables.map((table: TableInfo) => {
      const key = tableKey(table);
      const notes = byTable.get(key) ?? [];
      const own = notes.find((a) => a.column === null);
      const hidden = new Set(ctx.withheld.filter((w) => w.table === key).map((w) => w.column));
      const columnNotes = Object.fromEntries(
        notes
          .filter((a) => a.column !== null && !hidden.has(a.column))
          .map((a) => [a.column!, { description: a.description, tags: a.tags, context: a.context }]),
      );
      return {
        key,
        table: hidden.size ? { ...table, columns: table.columns.filter((c) => !hidden.has(c.name)) } : table,
        description: own?.description ?? table.comment,
        tags: own?.tags ?? [],
        context: own?.context ?? null,
        columnNotes,
        trained: trained.has(key),
      };
    });
  }

  /** Keys of the schema's tables that these SQL texts use (for the examples in the prompt). */
  async tablesOf(sqls: string[], ctx: QuestionContext): Promise<string[]> {
    const keys = new Set<string>();
    for (const sql of sqls) {
      const refs = await this.guard.references(sql, ctx.dialect).catch(() => ({ tables: [] }));
      for (const ref of refs.tables) {
        const table = resolveTable(ctx.snapshot.tables, ref.schema ? `${ref.schema}.${ref.name}` : ref.name);
        if (table) keys.add(tableKey(table));
      }
    }
    return [...keys];
  }
}
