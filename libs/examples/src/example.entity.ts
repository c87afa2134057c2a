import type { SqlDialect } from '@sluice/core';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('examples')
export class ExampleEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId: string;

  /** Null for an example of no particular connector (used for every connector of its dialect). */
  @Column({ name: 'connector_id', type: 'varchar', length: 40, nullable: true })
  connectorId: string | null;

  @Column({ type: 'text' })
  question: string;

  @Column({ type: 'text' })
  sql: string;

  @Column({ type: 'varchar', length: 16 })
  dialect: SqlDialect;

  /** Lower-case, trimmed, without duplicates. */
  @Column({ type: 'text', array: true })
  tags: string[];

  @Column({ name: 'created_by', type: 'varchar', length: 40, nullable: true })
  createdBy: string | null;

  // Millisecond precision (timestamptz(3) in the migration), so page cursors match rows exactly.
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
