import { MigrationInterface, QueryRunner } from 'typeorm';

/** Sync runs and the documents they produce (one per table, view or file). */
export class Documents1764000000000 implements MigrationInterface {
  name = 'Documents1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sync_runs (
        id                varchar(40) PRIMARY KEY,
        tenant_id         varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        connector_id      varchar(40) NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        status            varchar(16) NOT NULL DEFAULT 'queued'
                          CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        force             boolean NOT NULL DEFAULT false,
        progress          jsonb NOT NULL DEFAULT '{}',
        error             text,
        cancel_requested  boolean NOT NULL DEFAULT false,
        started_at        timestamptz,
        finished_at       timestamptz,
        created_by        varchar(40),
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now()
      )`);
    // One queued or running sync per connector, whichever API instance or worker asks.
    await q.query(
      `CREATE UNIQUE INDEX sync_runs_one_active ON sync_runs (connector_id) WHERE status IN ('queued', 'running')`,
    );
    await q.query(`CREATE INDEX sync_runs_page ON sync_runs (tenant_id, connector_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE documents (
        id                 varchar(40) PRIMARY KEY,
        tenant_id          varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        connector_id       varchar(40) NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        external_id        varchar(1024) NOT NULL,
        kind               varchar(16) NOT NULL CHECK (kind IN ('file', 'table', 'view', 'record')),
        name               varchar(512) NOT NULL,
        path               varchar(2048),
        mime_type          varchar(255),
        size               bigint,
        checksum           varchar(128),
        status             varchar(16) NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'queued', 'syncing', 'synced', 'failed', 'stopped', 'deleted')),
        error              text,
        metadata           jsonb NOT NULL DEFAULT '{}',
        synced_at          timestamptz,
        last_seen_run_id   varchar(40),
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT documents_connector_external UNIQUE (connector_id, external_id)
      )`);
    await q.query(`CREATE INDEX documents_page ON documents (tenant_id, connector_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE documents');
    await q.query('DROP TABLE sync_runs');
  }
}
