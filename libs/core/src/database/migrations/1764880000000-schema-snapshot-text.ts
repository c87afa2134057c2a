import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refresh that finds a large schema changed writes its whole snapshot again (about 3 MB of JSON
 * for 2,000 tables). With the default pglz, compressing it was a large share of that write; lz4
 * compresses it several times faster, a little less tightly (84 KB instead of 72 KB for that
 * schema). Values already stored keep their compression until they are written again.
 *
 * lz4 needs PostgreSQL 14 or later built with it (the usual packages and managed services are);
 * elsewhere the column keeps the server's default and nothing else changes.
 */
export class SchemaSnapshotLz41764880000000 implements MigrationInterface {
  name = 'SchemaSnapshotLz41764880000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(setCompression('lz4'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(setCompression('default'));
  }
}

// EXECUTE, so that a server without the clause (before 14) fails at run time, where it is caught.
const setCompression = (method: 'lz4' | 'default'): string => `
DO $$
BEGIN
  EXECUTE 'ALTER TABLE schema_snapshots ALTER COLUMN tables SET COMPRESSION ${method}';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
  RAISE NOTICE 'schema_snapshots.tables keeps the default compression: %', SQLERRM;
END $$`;
