import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables listed by keyset pages on (created_at, id). */
const PAGED = ['memberships', 'api_keys', 'connectors', 'sync_runs', 'documents'];

/**
 * Page cursors carry `created_at` as a JavaScript date, in milliseconds. Stored with microseconds,
 * a row created in the same millisecond as the last row of a page, but a few microseconds
 * earlier, fell between two pages. Stored in milliseconds, the cursor names rows exactly.
 */
export class MillisecondCursors1764400000000 implements MigrationInterface {
  name = 'MillisecondCursors1764400000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of PAGED) {
      await q.query(`ALTER TABLE ${table} ALTER COLUMN created_at TYPE timestamptz(3)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of PAGED) {
      await q.query(`ALTER TABLE ${table} ALTER COLUMN created_at TYPE timestamptz`);
    }
  }
}
