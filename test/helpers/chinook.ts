import { copyFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { createDatabaseWith } from './test-env';

const FIXTURES = join(__dirname, '..', 'fixtures', 'chinook');
export const MARIADB_ADMIN = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** The Chinook scripts create and switch to their own database; the scratch one is used instead. */
async function chinookScript(file: string): Promise<string> {
  const text = await readFile(join(FIXTURES, file), 'utf8');
  return text.replace(/^(DROP DATABASE|CREATE DATABASE|USE) [^;\n]*;[ \t]*$/gm, '').replace(/^\\c [^\n]*$/gm, '');
}

/** Creates the PostgreSQL database of `url` and loads Chinook into it (public schema, snake_case names). */
export async function loadChinookPostgres(url: string): Promise<void> {
  // ANALYZE gives pg_class.reltuples real row estimates.
  await createDatabaseWith(url, `${await chinookScript('Chinook_PostgreSql.sql')};\nANALYZE;`);
}

/** Creates a MariaDB database of that name and loads Chinook into it (PascalCase names). */
export async function loadChinookMariadb(database: string): Promise<void> {
  const admin = await createConnection({ ...MARIADB_ADMIN, multipleStatements: true });
  try {
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
    await admin.query(`USE \`${database}\``);
    await admin.query(await chinookScript('Chinook_MySql.sql'));
  } finally {
    await admin.end();
  }
}

export async function dropMariadbDatabase(database: string): Promise<void> {
  const admin = await createConnection(MARIADB_ADMIN);
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await admin.end();
  }
}

/** Copies the Chinook SQLite file into `dir` and returns the copy's path. */
export function chinookSqliteCopy(dir: string, name = 'chinook.sqlite'): string {
  const target = join(dir, name);
  copyFileSync(join(FIXTURES, 'Chinook_Sqlite.sqlite'), target);
  return target;
}

/**
 * The body that connects a `postgresql` connector to a scratch database on the local server
 * (trust authentication: the password is required by the contract, not checked).
 */
export function localPostgresConnector(url: string, password = 'unused-under-trust'): Record<string, unknown> {
  return {
    type: 'postgresql',
    config: {
      host: '127.0.0.1',
      port: 5432,
      database: new URL(url).pathname.slice(1),
      user: 'postgres',
      ssl: { mode: 'disable' },
    },
    authConfig: { password },
  };
}
