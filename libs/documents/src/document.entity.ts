import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const DOCUMENT_STATUSES = ['pending', 'queued', 'syncing', 'synced', 'failed', 'stopped', 'deleted'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
export const DOCUMENT_KINDS = ['file', 'table', 'view', 'record'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

@Entity('documents')
export class DocumentEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId: string;

  @Column({ name: 'connector_id', type: 'varchar', length: 40 })
  connectorId: string;

  @Column({ name: 'external_id', type: 'varchar', length: 1024 })
  externalId: string;

  @Column({ type: 'varchar', length: 16 })
  kind: DocumentKind;

  @Column({ type: 'varchar', length: 512 })
  name: string;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  path: string | null;

  @Column({ name: 'mime_type', type: 'varchar', length: 255, nullable: true })
  mimeType: string | null;

  @Column({ type: 'bigint', nullable: true })
  size: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  checksum: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: DocumentStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;

  @Column({ name: 'synced_at', type: 'timestamptz', nullable: true })
  syncedAt: Date | null;

  @Column({ name: 'last_seen_run_id', type: 'varchar', length: 40, nullable: true })
  lastSeenRunId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
