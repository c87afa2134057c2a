import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants, users, memberships (user ↔ tenant with a role), API keys and refresh tokens. */
export class Identity1763800000000 implements MigrationInterface {
  name = 'Identity1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id          varchar(40) PRIMARY KEY,
        name        varchar(100) NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX tenants_name_ci ON tenants (lower(name))`);

    await q.query(`
      CREATE TABLE users (
        id             varchar(40) PRIMARY KEY,
        email          varchar(254) NOT NULL,
        name           varchar(100) NOT NULL DEFAULT '',
        password_hash  varchar(255) NOT NULL,
        disabled       boolean NOT NULL DEFAULT false,
        last_login_at  timestamptz,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_ci ON users (lower(email))`);

    await q.query(`
      CREATE TABLE memberships (
        tenant_id   varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        user_id     varchar(40) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role        varchar(16) NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, user_id)
      )`);
    await q.query(`CREATE INDEX memberships_user ON memberships (user_id)`);
    await q.query(`CREATE INDEX memberships_tenant_page ON memberships (tenant_id, created_at DESC, user_id DESC)`);

    await q.query(`
      CREATE TABLE api_keys (
        id            varchar(40) PRIMARY KEY,
        tenant_id     varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name          varchar(100) NOT NULL,
        prefix        varchar(16) NOT NULL,
        key_hash      char(64) NOT NULL UNIQUE,
        role          varchar(16) NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
        created_by    varchar(40) REFERENCES users(id) ON DELETE SET NULL,
        expires_at    timestamptz,
        last_used_at  timestamptz,
        revoked_at    timestamptz,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX api_keys_tenant_page ON api_keys (tenant_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id           varchar(40) PRIMARY KEY,
        user_id      varchar(40) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        tenant_id    varchar(40) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        token_hash   char(64) NOT NULL UNIQUE,
        expires_at   timestamptz NOT NULL,
        revoked_at   timestamptz,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE refresh_tokens');
    await q.query('DROP TABLE api_keys');
    await q.query('DROP TABLE memberships');
    await q.query('DROP TABLE users');
    await q.query('DROP TABLE tenants');
  }
}
