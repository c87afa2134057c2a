import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ConnectorRecord, ConnectorRole, ConnectorStatus } from './connector.types';

@Entity('connectors')
export class ConnectorEntity implements ConnectorRecord {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 40 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  role: ConnectorRole;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'jsonb' })
  config: Record<string, unknown>;

  @Column({ name: 'auth_method', type: 'varchar', length: 40, nullable: true })
  authMethod: string | null;

  /** Sealed with the secret box (AES-256-GCM, bound to the tenant); never mapped into a response. */
  @Column({ name: 'auth_config', type: 'text', nullable: true })
  authConfig: string | null;

  @Column({ type: 'varchar', length: 20 })
  status: ConnectorStatus;

  @Column({ type: 'boolean' })
  managed: boolean;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;

  @Column({ name: 'last_tested_at', type: 'timestamptz', nullable: true })
  lastTestedAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'last_sync_at', type: 'timestamptz', nullable: true })
  lastSyncAt: Date | null;

  @Column({ name: 'last_sync_row_count', type: 'bigint', nullable: true })
  lastSyncRowCount: string | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'created_by', type: 'varchar', length: 40, nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
