import type { SqlDialect, TableInfo } from '@sluice/connectors';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn, ValueTransformer } from 'typeorm';

const TABLES_JSON: ValueTransformer = {
  to: (tables: TableInfo[] | undefined) => (tables === undefined ? undefined : JSON.stringify(tables)),
  from: (text: string | null) => (text === null ? text : (JSON.parse(text) as TableInfo[])),
};

/** The last introspection of one SQL connector: what schema reads are served from. */
@Entity('schema_snapshots')
export class SchemaSnapshotEntity {
  @PrimaryColumn({ name: 'connector_id', type: 'varchar', length: 40 })
  connectorId: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId: string;

  @Column({ type: 'varchar', length: 16 })
  dialect: SqlDialect;

  @Column({ type: 'varchar', length: 255 })
  database: string;

  /**
   * The JSON of the tables, as text: stored and read whole, never queried inside, so the server
   * has no reason to parse it (see the migrations).
   */
  @Column({ type: 'text', transformer: TABLES_JSON })
  tables: TableInfo[];

  /** SHA-256 of the tables as introspected: equal fingerprints, equal schemas. */
  @Column({ type: 'varchar', length: 64 })
  fingerprint: string;

  /**
   * SHA-256 of the stored tables, row estimates included (null before it was kept): a refresh that
   * finds the same contents leaves the tables as they are.
   */
  @Column({ name: 'contents_hash', type: 'varchar', length: 64, nullable: true })
  contentsHash: string | null;

  @Column({ name: 'catalog_queries', type: 'integer' })
  catalogQueries: number;

  /** Bumped on every annotation change, so caches built on the schema know to rebuild. */
  @Column({ name: 'annotations_revision', type: 'integer', default: 0 })
  annotationsRevision: number;

  @Column({ name: 'introspected_at', type: 'timestamptz' })
  introspectedAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
