import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One question asked through NL2SQL: its SQL and how running it went. Written once, never changed but for `exampleId`. */
@Entity('history_entries')
export class HistoryEntryEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId: string;

  /** Null for a caller with an API key, or once the user is deleted. */
  @Column({ name: 'user_id', type: 'varchar', length: 40, nullable: true })
  userId: string | null;

  /** Null once the connector is deleted. */
  @Column({ name: 'connector_id', type: 'varchar', length: 40, nullable: true })
  connectorId: string | null;

  @Column({ type: 'text' })
  question: string;

  /** Null when no SQL was produced (e.g. the LLM failed). */
  @Column({ type: 'text', nullable: true })
  sql: string | null;

  @Column({ type: 'boolean' })
  ok: boolean;

  @Column({ name: 'row_count', type: 'integer', nullable: true })
  rowCount: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs: number;

  /** How many generate-and-validate rounds it took. */
  @Column({ type: 'integer' })
  attempts: number;

  /** LLM tokens this question used (null when no LLM was called). */
  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens: number | null;

  /** The example this entry was promoted to (or that answered it as asked), while that example exists. */
  @Column({ name: 'example_id', type: 'varchar', length: 40, nullable: true })
  exampleId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
