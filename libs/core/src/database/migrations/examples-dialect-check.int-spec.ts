import { DataSource } from 'typeorm';
import { dropDatabase, query, testEnv } from '../../../../../test/helpers/test-env';
import { ensureDatabaseExists, runMigrations } from '../prepare-database';
import { MIGRATIONS } from './index';

const CHECKS_ON_DIALECT = `
  SELECT conname FROM pg_constraint
   WHERE conrelid = 'examples'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%dialect%'`;

describe('examples.dialect without a database CHECK (real PostgreSQL)', () => {
  const url = testEnv().DATABASE_URL!;
  afterAll(() => dropDatabase(url));

  it('drops the check, so a dialect registered at run time can be stored, and down restores it', async () => {
    await ensureDatabaseExists(url);
    await runMigrations(url);
    expect(await query(url, CHECKS_ON_DIALECT)).toEqual([]);
    await query(url, "INSERT INTO tenants (id, name) VALUES ('ten_a', 'Acme')");
    const insert = (id: string, dialect: string) =>
      query(
        url,
        `INSERT INTO examples (id, tenant_id, question, sql, dialect) VALUES ($1, 'ten_a', 'q', 'SELECT 1', $2)`,
        [id, dialect],
      );
    await insert('ex_fake', 'fakesql');
    await query(url, "DELETE FROM examples WHERE id = 'ex_fake'");

    const dataSource = new DataSource({ type: 'postgres', url, migrations: MIGRATIONS });
    await dataSource.initialize();
    try {
      // Back to just before this migration: the later ones are undone first.
      const later = MIGRATIONS.length - 1 - MIGRATIONS.findIndex((m) => m.name === 'ExamplesDialectCheck1764700000000');
      for (let i = 0; i <= later; i++) await dataSource.undoLastMigration();
    } finally {
      await dataSource.destroy();
    }
    expect(await query(url, CHECKS_ON_DIALECT)).toEqual([{ conname: 'examples_dialect_check' }]);
    await expect(insert('ex_fake', 'fakesql')).rejects.toThrow(/examples_dialect_check/);
    await insert('ex_pg', 'postgresql');

    expect((await runMigrations(url))[0]).toBe('ExamplesDialectCheck1764700000000');
    expect(await query(url, CHECKS_ON_DIALECT)).toEqual([]);
  });
});
