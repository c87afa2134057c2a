import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-tenant LLM settings (the key sealed), token usage per tenant and day, and per question in history. */
export class Nl2sql1764500000000 implements MigrationInterface {
  name = 'Nl2sql1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE llm_settings (
        tenant_id    varchar(40) PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        provider     varchar(16) NOT NULL CHECK (provider IN ('openai', 'anthropic', 'ollama')),
        model        varchar(200) NOT NULL,
        base_url     varchar(2048),
        api_key      text,
        temperature  real,
        max_tokens   integer,
        timeout_ms   integer,
        updated_by   varchar(40),
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE llm_usage (
        tenant_id          varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        day                date NOT NULL,
        calls              integer NOT NULL DEFAULT 0,
        prompt_tokens      bigint NOT NULL DEFAULT 0,
        completion_tokens  bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant_id, day)
      )`);
    await q.query('ALTER TABLE history_entries ADD COLUMN prompt_tokens integer, ADD COLUMN completion_tokens integer');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE history_entries DROP COLUMN prompt_tokens, DROP COLUMN completion_tokens');
    await q.query('DROP TABLE llm_usage');
    await q.query('DROP TABLE llm_settings');
  }
}
