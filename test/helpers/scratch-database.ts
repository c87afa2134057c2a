import { ensureDatabaseExists, newId, runMigrations } from '@sluice/core';
import { DataSource, EntitySchema } from 'typeorm';
import { dropDatabase, testEnv } from './test-env';

// Function is what TypeORM itself accepts for an entity class.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityTarget = Function | string | EntitySchema;

export interface ScratchDatabase {
  db: DataSource;
  /** Drops the database (call in afterAll). */
  close(): Promise<void>;
}

/**
 * A database of its own for one repository suite: created, migrated, with the tenants
 * `ten_alpha` and `ten_bravo` (the two tenants of test/fakes/common), dropped by close().
 */
export async function openScratchDatabase(entities: EntityTarget[]): Promise<ScratchDatabase> {
  const url = testEnv().DATABASE_URL!;
  await ensureDatabaseExists(url);
  await runMigrations(url);
  const db = await new DataSource({ type: 'postgres', url, entities }).initialize();
  await db.query(`INSERT INTO tenants (id, name) VALUES ('ten_alpha', 'Alpha'), ('ten_bravo', 'Bravo')`);
  return {
    db,
    close: async () => {
      await db.destroy();
      await dropDatabase(url);
    },
  };
}

/** A connector row written straight in SQL (repositories below connectors need one for their foreign keys). */
export async function insertConnector(db: DataSource, tenantId: string, type = 'postgresql'): Promise<string> {
  const id = newId('connector');
  await db.query(`INSERT INTO connectors (id, tenant_id, name, type, status) VALUES ($1, $2, $3, $4, 'active')`, [
    id,
    tenantId,
    `c-${id}`,
    type,
  ]);
  return id;
}

/**
 * Gives rows one second apart in `created_at`, oldest first, so a keyset order does not hang on
 * rows inserted within the same millisecond (which the id then orders at random).
 */
export async function spreadCreatedAt(db: DataSource, table: string, idsOldestFirst: string[]): Promise<void> {
  await db.query(
    `UPDATE ${table} t SET created_at = timestamptz '2026-01-01T00:00:00Z' + (o.n * interval '1 second')
       FROM unnest($1::varchar[]) WITH ORDINALITY AS o(id, n) WHERE t.id = o.id`,
    [idsOldestFirst],
  );
}
