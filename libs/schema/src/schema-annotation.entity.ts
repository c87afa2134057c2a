import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * What a user says about a table or one of its columns. Keyed by names, so it survives
 * re-introspection; flagged `orphaned` (and kept) when its table or column disappears.
 */
@Entity('schema_annotations')
export class SchemaAnnotationEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId: string;

  @Column({ name: 'connector_id', type: 'varchar', length: 40 })
  connectorId: string;

  /** Schema-qualified where the engine has schemas (`public.album`), else the bare name. */
  @Column({ name: 'table_name', type: 'varchar', length: 512 })
  table: string;

  /** Null for an annotation of the table itself. */
  @Column({ name: 'column_name', type: 'varchar', length: 255, nullable: true })
  column: string | null;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'text', array: true, default: '{}' })
  tags: string[];

  @Column({ type: 'text', nullable: true })
  context: string | null;

  @Column({ type: 'boolean', default: false })
  orphaned: boolean;

  @Column({ name: 'created_by', type: 'varchar', length: 40, nullable: true })
  createdBy: string | null;

  @Column({ name: 'updated_by', type: 'varchar', length: 40, nullable: true })
  updatedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
