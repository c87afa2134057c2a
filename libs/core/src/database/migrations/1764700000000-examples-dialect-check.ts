import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * examples.dialect is no longer checked against a fixed list in the database: the dialects are
 * those the connector plugins register at run time (libs/core/src/sql/dialect-registry.ts), and
 * requests are validated against that registry. The column stays varchar(16), the longest name a
 * dialect may have.
 */
export class ExamplesDialectCheck1764700000000 implements MigrationInterface {
  name = 'ExamplesDialectCheck1764700000000';

  async up(q: QueryRunner): Promise<void> {
    // PostgreSQL named the column's inline CHECK after table and column.
    await q.query('ALTER TABLE examples DROP CONSTRAINT IF EXISTS examples_dialect_check');
  }

  async down(q: QueryRunner): Promise<void> {
    // The list as it was when the check was dropped; fails while examples of another dialect exist.
    await q.query(
      `ALTER TABLE examples ADD CONSTRAINT examples_dialect_check
         CHECK (dialect IN ('postgresql', 'mysql', 'sqlite', 'redshift'))`,
    );
  }
}
