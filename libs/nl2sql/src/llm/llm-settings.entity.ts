import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const LLM_PROVIDERS = ['openai', 'anthropic', 'ollama'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** A tenant's own LLM, set by an admin; without a row the environment's defaults apply. */
@Entity('llm_settings')
export class LlmSettingsEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 40 })
  tenantId: string;

  @Column({ type: 'varchar', length: 16 })
  provider: LlmProvider;

  @Column({ type: 'varchar', length: 200 })
  model: string;

  @Column({ name: 'base_url', type: 'varchar', length: 2048, nullable: true })
  baseUrl: string | null;

  /** Sealed with the tenant's context (SecretBox); never returned. */
  @Column({ name: 'api_key', type: 'text', nullable: true })
  apiKey: string | null;

  @Column({ type: 'real', nullable: true })
  temperature: number | null;

  @Column({ name: 'max_tokens', type: 'integer', nullable: true })
  maxTokens: number | null;

  @Column({ name: 'timeout_ms', type: 'integer', nullable: true })
  timeoutMs: number | null;

  @Column({ name: 'updated_by', type: 'varchar', length: 40, nullable: true })
  updatedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
