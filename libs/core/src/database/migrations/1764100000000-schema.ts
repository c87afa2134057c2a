import { MigrationInterface, QueryRunner } from 'typeorm';

/** The introspected schema of each SQL connector (a cache with a fingerprint) and its annotations. */
export class Schema1764100000000 implements MigrationInterface {
  name = 'Schema1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE schema_snapshots (
        connector_id          varchar(40) PRIMARY KEY REFERENCES connectors(id) ON DELETE CASCADE,
        tenant_id             varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        dialect               varchar(16) NOT NULL,
        database              varchar(255) NOT NULL,
        tables                jsonb NOT NULL,
        fingerprint           varchar(64) NOT NULL,
        catalog_queries       integer NOT NULL,
        annotations_revision  integer NOT NULL DEFAULT 0,
        introspected_at       timestamptz NOT NULL,
        created_at            timestamptz NOT NULL DEFAULT now(),
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE schema_annotations (
        id            varchar(40) PRIMARY KEY,
        tenant_id     varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        connector_id  varchar(40) NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        table_name    varchar(512) NOT NULL,
        column_name   varchar(255),
        description   text,
        tags          text[] NOT NULL DEFAULT '{}',
        context       text,
        orphaned      boolean NOT NULL DEFAULT false,
        created_by    varchar(40),
        updated_by    varchar(40),
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    // One annotation per table, and one per column of it.
    await q.query(
      `CREATE UNIQUE INDEX schema_annotations_target ON schema_annotations (connector_id, table_name, COALESCE(column_name, ''))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE schema_annotations');
    await q.query('DROP TABLE schema_snapshots');
  }
}
