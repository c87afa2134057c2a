import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose rows belong to a connector, and what happens to them when it is deleted. */
const CONNECTOR_CHILDREN: Array<{ table: string; onDelete: string }> = [
  { table: 'sync_runs', onDelete: 'CASCADE' },
  { table: 'documents', onDelete: 'CASCADE' },
  { table: 'schema_snapshots', onDelete: 'CASCADE' },
  { table: 'schema_annotations', onDelete: 'CASCADE' },
  // Examples and history outlive their connector; only the reference is cleared, not the tenant.
  { table: 'examples', onDelete: 'SET NULL (connector_id)' },
  { table: 'history_entries', onDelete: 'SET NULL (connector_id)' },
];

/**
 * A row that refers to a connector (or an example) must belong to the same tenant: the
 * references are (id, tenant_id) pairs, so the database itself refuses a document, snapshot,
 * annotation, run, example or history entry filed under one tenant for another tenant's
 * connector, whichever code path writes it. The single-column references stay as they were.
 */
export class TenantScopedReferences1764750000000 implements MigrationInterface {
  name = 'TenantScopedReferences1764750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE connectors ADD CONSTRAINT connectors_id_tenant_key UNIQUE (id, tenant_id)');
    await q.query('ALTER TABLE examples ADD CONSTRAINT examples_id_tenant_key UNIQUE (id, tenant_id)');
    for (const { table, onDelete } of CONNECTOR_CHILDREN) {
      await q.query(
        `ALTER TABLE ${table} ADD CONSTRAINT ${table}_connector_tenant_fkey
           FOREIGN KEY (connector_id, tenant_id) REFERENCES connectors (id, tenant_id) ON DELETE ${onDelete}`,
      );
    }
    await q.query(
      `ALTER TABLE history_entries ADD CONSTRAINT history_entries_example_tenant_fkey
         FOREIGN KEY (example_id, tenant_id) REFERENCES examples (id, tenant_id) ON DELETE SET NULL (example_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE history_entries DROP CONSTRAINT history_entries_example_tenant_fkey');
    for (const { table } of CONNECTOR_CHILDREN) {
      await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_connector_tenant_fkey`);
    }
    await q.query('ALTER TABLE examples DROP CONSTRAINT examples_id_tenant_key');
    await q.query('ALTER TABLE connectors DROP CONSTRAINT connectors_id_tenant_key');
  }
}
