import { MigrationInterface, QueryRunner } from 'typeorm';

/** A per-user token generation: access tokens carry it, and bumping it revokes them all at once. */
export class TokenGeneration1764610000000 implements MigrationInterface {
  name = 'TokenGeneration1764610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN token_generation`);
  }
}
