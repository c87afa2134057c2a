import { MigrationInterface, QueryRunner } from 'typeorm';

/** Connectors: one row per configured source or destination, credentials sealed. */
export class Connectors1763900000000 implements MigrationInterface {
  name = 'Connectors1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE connectors (
        id                   varchar(40) PRIMARY KEY,
        tenant_id            varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name                 varchar(100) NOT NULL,
        type                 varchar(40) NOT NULL,
        role                 varchar(16) NOT NULL DEFAULT 'source' CHECK (role IN ('source', 'destination')),
        description          text NOT NULL DEFAULT '',
        config               jsonb NOT NULL DEFAULT '{}',
        auth_method          varchar(40),
        auth_config          text,
        status               varchar(20) NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'pending_upload', 'active', 'inactive', 'error')),
        managed              boolean NOT NULL DEFAULT false,
        metadata             jsonb NOT NULL DEFAULT '{}',
        last_tested_at       timestamptz,
        last_error           text,
        last_sync_at         timestamptz,
        last_sync_row_count  bigint,
        last_used_at         timestamptz,
        created_by           varchar(40) REFERENCES users(id) ON DELETE SET NULL,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX connectors_tenant_name_ci ON connectors (tenant_id, lower(name))`);
    await q.query(`CREATE INDEX connectors_tenant_page ON connectors (tenant_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE connectors');
  }
}
