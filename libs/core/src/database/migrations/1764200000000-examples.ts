import { MigrationInterface, QueryRunner } from 'typeorm';

/** Few-shot examples (question → SQL) that guide NL2SQL, per tenant and optionally per connector. */
export class Examples1764200000000 implements MigrationInterface {
  name = 'Examples1764200000000';

  async up(q: QueryRunner): Promise<void> {
    // Trigram indexes serve the case-insensitive `q` search (ILIKE '%…%') without a table scan.
    await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    // created_at has millisecond precision, like the page cursors that carry it: a cursor then
    // names its row exactly and no row of the same millisecond is skipped between pages.
    await q.query(`
      CREATE TABLE examples (
        id            varchar(40) PRIMARY KEY,
        tenant_id     varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        connector_id  varchar(40) REFERENCES connectors(id) ON DELETE SET NULL,
        question      text NOT NULL,
        sql           text NOT NULL,
        dialect       varchar(16) NOT NULL CHECK (dialect IN ('postgresql', 'mysql', 'sqlite', 'redshift')),
        tags          text[] NOT NULL DEFAULT '{}',
        created_by    varchar(40),
        created_at    timestamptz(3) NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX examples_page ON examples (tenant_id, created_at DESC, id DESC)');
    // Retrieval loads a tenant's candidates by connector, or by dialect for examples without one.
    await q.query('CREATE INDEX examples_connector ON examples (tenant_id, connector_id)');
    await q.query('CREATE INDEX examples_dialect ON examples (tenant_id, dialect) WHERE connector_id IS NULL');
    await q.query('CREATE INDEX examples_tags ON examples USING gin (tags)');
    await q.query('CREATE INDEX examples_question_trgm ON examples USING gin (question gin_trgm_ops)');
    await q.query('CREATE INDEX examples_sql_trgm ON examples USING gin (sql gin_trgm_ops)');
  }

  async down(q: QueryRunner): Promise<void> {
    // pg_trgm stays: other tables (history) use it.
    await q.query('DROP TABLE examples');
  }
}
