import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invitations: adding an e-mail to a tenant makes one, and the account's owner accepts it
 * (an account created by the invitation accepts it by signing in), so no tenant can pull an
 * existing account in without its owner's consent.
 */
export class Invitations1764620000000 implements MigrationInterface {
  name = 'Invitations1764620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE invitations (
        id               varchar(40) PRIMARY KEY,
        tenant_id        varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        email            varchar(254) NOT NULL,
        role             varchar(16) NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
        status           varchar(16) NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
        invited_by       varchar(40),
        created_user_id  varchar(40) REFERENCES users(id) ON DELETE SET NULL,
        expires_at       timestamptz NOT NULL,
        responded_at     timestamptz,
        created_at       timestamptz(3) NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX invitations_pending_email ON invitations (tenant_id, lower(email)) WHERE status = 'pending'`,
    );
    await q.query(`CREATE INDEX invitations_tenant_page ON invitations (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX invitations_invitee ON invitations (lower(email)) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX invitations_created_user ON invitations (created_user_id) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE invitations`);
  }
}
