import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every question asked through NL2SQL, with its SQL and outcome; promotable to an example. */
export class History1764300000000 implements MigrationInterface {
  name = 'History1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    // created_at(3): millisecond precision, like the page cursors (see the examples migration).
    await q.query(`
      CREATE TABLE history_entries (
        id            varchar(40) PRIMARY KEY,
        tenant_id     varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        user_id       varchar(40) REFERENCES users(id) ON DELETE SET NULL,
        connector_id  varchar(40) REFERENCES connectors(id) ON DELETE SET NULL,
        question      text NOT NULL,
        sql           text,
        ok            boolean NOT NULL,
        row_count     integer CHECK (row_count >= 0),
        error         text,
        duration_ms   integer NOT NULL CHECK (duration_ms >= 0),
        attempts      integer NOT NULL DEFAULT 1 CHECK (attempts >= 0),
        example_id    varchar(40) REFERENCES examples(id) ON DELETE SET NULL,
        created_at    timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // Pages (newest first) and the retention prune, which ranks each tenant's entries by age.
    await q.query('CREATE INDEX history_page ON history_entries (tenant_id, created_at DESC, id DESC)');
    await q.query('CREATE INDEX history_connector ON history_entries (tenant_id, connector_id, created_at DESC)');
    // `q` is ILIKE '%…%' on question or SQL: trigram GIN indexes answer it without a table scan.
    await q.query('CREATE INDEX history_question_trgm ON history_entries USING gin (question gin_trgm_ops)');
    await q.query('CREATE INDEX history_sql_trgm ON history_entries USING gin (sql gin_trgm_ops)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE history_entries');
  }
}
