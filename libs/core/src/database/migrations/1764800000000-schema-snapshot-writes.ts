import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Writing a large schema's snapshot was a large share of a refresh; two changes make it cheap.
 *
 * schema_snapshots.tables becomes json instead of jsonb. The snapshot is written whole by every
 * introspection and read whole by every schema read; nothing queries inside it. jsonb parses and
 * re-encodes the document on the way in (about 3 MB for 2,000 tables, the larger part of a
 * refresh's write) and re-serializes it on the way out; json keeps the text as sent, after a check
 * that it is valid JSON.
 *
 * contents_hash keeps a hash of what `tables` holds, so that a refresh finding the same contents
 * (the common case: a schema changes far less often than it is refreshed) leaves the tables
 * unwritten and only records the time.
 */
export class SchemaSnapshotWrites1764800000000 implements MigrationInterface {
  name = 'SchemaSnapshotWrites1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE schema_snapshots ALTER COLUMN tables TYPE json USING tables::json');
    await q.query('ALTER TABLE schema_snapshots ADD COLUMN contents_hash varchar(64)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE schema_snapshots DROP COLUMN contents_hash');
    await q.query('ALTER TABLE schema_snapshots ALTER COLUMN tables TYPE jsonb USING tables::jsonb');
  }
}
