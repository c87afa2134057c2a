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
  annotations: AnnotationNote[];
  /** Columns withheld from this caller (pii, for viewers). */
  withheld: Array<{ table: string; column: string }>;
}

/** The connector, its cached schema and annotations as NL2SQL and the guard see them. */
@Injectable()
export class QuestionContextService {
  constructor(
    private readonly schema: SchemaService,
    private readonly annotations: AnnotationService,
    private readonly registry: ConnectorRegistry,
    @Inject(TRAINED_TABLES) private readonly training: TrainedTables,
    private readonly guard: SqlGuard,
  ) {}

  /** 404 for another tenant's connector, 400 for one without a schema; the schema from the cache. */
  async load(auth: AuthContext, connectorId: string): Promise<QuestionContext> {
    const { connector, snapshot } = await this.schema.read(auth.tenantId, connectorId);
    const annotations = await this.annotations.notes(auth.tenantId, connectorId);
    const withheld =
      auth.role === 'viewer'
        ? annotations
            .filter((a) => a.column !== null && a.tags.includes('pii'))
            .map((a) => ({ table: a.table, column: a.column! }))
        : [];
    return { connector, dialect: snapshot.dialect, snapshot, annotations, withheld };
  }

  /** The connector's dialect, without reading its schema (explain needs nothing more). */
  async dialect(auth: AuthContext, connectorId: string): Promise<SqlDialect> {
    const connector = await this.schema.sqlConnector(auth.tenantId, connectorId);
    return this.registry.get(connector.type).info.dialect!;
  }

  /** Tables for schema linking, annotations merged; columns withheld from this caller left out. */
  async linkables(ctx: QuestionContext): Promise<LinkableTable[]> {
    const trained = await this.training.trainedTables(ctx.connector.tenantId, ctx.connector.id);
    return ctx.snapshot.tables.map((table: TableInfo) => {
      const key = tableKey(table);
      const notes = ctx.annotations.filter((a) => a.table === key);
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
