import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunProgress {
  processed: number;
  total: number | null;
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
}

export const EMPTY_PROGRESS: RunProgress = {
  processed: 0,
  total: null,
  created: 0,
  updated: 0,
  unchanged: 0,
  deleted: 0,
  failed: 0,
};

@Entity('sync_runs')
export class SyncRunEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId: string;

  @Column({ name: 'connector_id', type: 'varchar', length: 40 })
  connectorId: string;

  @Column({ type: 'varchar', length: 16 })
  status: RunStatus;

  @Column({ type: 'boolean' })
  force: boolean;

  @Column({ type: 'jsonb' })
  progress: RunProgress;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'cancel_requested', type: 'boolean' })
  cancelRequested: boolean;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'created_by', type: 'varchar', length: 40, nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
