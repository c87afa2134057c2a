import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A document's (connector_id, tenant_id) reference to connectors already proves that its
 * connector exists and, through connectors.tenant_id, that its tenant does; deleting either
 * still cascades through connectors. The two single-column references checked the same thing
 * again for every row a sync inserts (a large folder inserts hundreds of thousands), so they go.
 */
export class DocumentsSingleKeys1764850000000 implements MigrationInterface {
  name = 'DocumentsSingleKeys1764850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE documents DROP CONSTRAINT documents_tenant_id_fkey');
    await q.query('ALTER TABLE documents DROP CONSTRAINT documents_connector_id_fkey');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE documents ADD CONSTRAINT documents_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE',
    );
    await q.query(
      'ALTER TABLE documents ADD CONSTRAINT documents_connector_id_fkey FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE',
    );
  }
}
