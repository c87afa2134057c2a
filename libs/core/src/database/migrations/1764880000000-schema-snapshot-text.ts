import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refresh that finds a large schema changed writes its whole snapshot again (about 3 MB of JSON
 * for 2,000 tables). Two server-side costs of that write go.
 *
 * schema_snapshots.tables becomes text instead of json: json checks on the way in that the text
 * is valid JSON, a parse of the whole document; the snapshot is JSON.stringify's output and is
 * parsed back whole on every read, so the check proved nothing. The entity parses it on read.
 *
 * It is compressed with lz4 instead of the default pglz, several times faster on that document and
 * a little less tight (84 KB instead of 72 KB). lz4 needs PostgreSQL 14 or later built with it
 * (the usual packages and managed services are); elsewhere the column keeps the default.
 */
export class SchemaSnapshotText1764880000000 implements MigrationInterface {
  name = 'SchemaSnapshotText1764880000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE schema_snapshots ALTER COLUMN tables TYPE text USING tables::text');
    await q.query(setCompression('lz4'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(setCompression('default'));
    await q.query('ALTER TABLE schema_snapshots ALTER COLUMN tables TYPE json USING tables::json');
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
