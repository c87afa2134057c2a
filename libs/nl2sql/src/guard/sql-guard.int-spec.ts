import BetterSqlite3 from 'better-sqlite3';
import type { SchemaSnapshot } from '@sluice/connectors';
import {
  MysqlConfig,
  MysqlConnector,
  PostgresConfig,
  PostgresqlConnector,
  SqliteConfig,
  SqliteConnector,
  LocalFileStorage,
} from '@sluice/connectors';
import { randomAlphanumeric } from '@sluice/core';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import {
  chinookSqliteCopy,
  dropMariadbDatabase,
  loadChinookMariadb,
  loadChinookPostgres,
  MARIADB_ADMIN,
} from '../../../../test/helpers/chinook';
import { contextFor } from '../../../../test/helpers/connector-testing';
import { DEFOG_DATABASES, defogQuestions, expandGold, loadDefog } from '../../../../test/helpers/defog';
import { databaseName, dropDatabase, testEnv } from '../../../../test/helpers/test-env';
import { GuardOptions, SqlGuard } from './sql-guard';

const MAX_ROWS = 1000;
const run = randomAlphanumeric(8).toLowerCase();
const root = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-guard-')));
const sqliteFile = chinookSqliteCopy(root);
const env = testEnv({ SQLITE_ALLOWED_DIRS: root, STORAGE_DIR: `${root}-storage` });
const postgres = new PostgresqlConnector(env);
const mysql = new MysqlConnector(env);
const sqlite = new SqliteConnector(env, new LocalFileStorage(env));
const guard = new SqlGuard();

const defogUrl = (db: string) => `postgresql://postgres@127.0.0.1:5432/defog_${db}_${run}`;
const chinookPgUrl = `postgresql://postgres@127.0.0.1:5432/guard_chinook_${run}`;
const chinookMysqlDb = `guard_chinook_${run}`;

const pgContext = (url: string) =>
  contextFor<PostgresConfig>(
    postgres.parseConfig(
      { host: '127.0.0.1', port: 5432, database: databaseName(url), user: 'postgres', ssl: { mode: 'disable' } },
      { password: '' },
    ),
  );

/**
 * Gold queries that cannot pass, each with its reason. Kept empty unless a gold query itself is
 * wrong (it names a column the database does not have): the guard is not loosened for them.
 */
const EXCLUDED_DEFOG: Record<string, string> = {};

/** Chinook (PostgreSQL, snake_case) queries an LLM may write: joins, CTEs, windows, dates, CASE. */
const CHINOOK_POSTGRES = [
  'SELECT ar.name, COUNT(al.album_id) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name HAVING COUNT(al.album_id) > 3 ORDER BY albums DESC',
  'WITH sales AS (SELECT c.country, SUM(i.total) AS total FROM customer c JOIN invoice i ON i.customer_id = c.customer_id GROUP BY c.country) SELECT country, total, RANK() OVER (ORDER BY total DESC) AS position FROM sales',
  "SELECT date_trunc('month', invoice_date) AS month, SUM(total) AS revenue FROM invoice WHERE invoice_date >= DATE '2021-01-01' AND invoice_date < now() - INTERVAL '1 day' GROUP BY 1 ORDER BY 1",
  "SELECT EXTRACT(YEAR FROM i.invoice_date)::int AS year, to_char(i.invoice_date, 'YYYY-MM') AS ym, COUNT(*) FROM invoice i GROUP BY 1, 2",
  'SELECT t.name, t.milliseconds, AVG(t.milliseconds) OVER (PARTITION BY t.genre_id) AS genre_avg, ROW_NUMBER() OVER (PARTITION BY t.album_id ORDER BY t.milliseconds DESC) AS rn FROM track t',
  "SELECT name, CASE WHEN milliseconds > 300000 THEN 'long' WHEN milliseconds > 180000 THEN 'medium' ELSE 'short' END AS length_class FROM track",
  'SELECT c.first_name, c.last_name FROM customer c WHERE EXISTS (SELECT 1 FROM invoice i WHERE i.customer_id = c.customer_id AND i.total > 20)',
  'SELECT name FROM track WHERE track_id IN (SELECT track_id FROM invoice_line GROUP BY track_id HAVING SUM(quantity) > 1) AND unit_price = (SELECT MAX(unit_price) FROM track)',
  "SELECT e.first_name || ' ' || e.last_name AS employee, m.first_name AS manager FROM employee e LEFT JOIN employee m ON m.employee_id = e.reports_to",
  'WITH RECURSIVE chain AS (SELECT employee_id, reports_to, 1 AS depth FROM employee WHERE reports_to IS NULL UNION ALL SELECT e.employee_id, e.reports_to, chain.depth + 1 FROM employee e JOIN chain ON e.reports_to = chain.employee_id) SELECT depth, COUNT(*) FROM chain GROUP BY depth',
  'SELECT g.name AS genre, COUNT(*) FILTER (WHERE t.unit_price > 0.99) AS pricey, percentile_cont(0.5) WITHIN GROUP (ORDER BY t.milliseconds) AS median_ms FROM genre g JOIN track t USING (genre_id) GROUP BY g.name',
  'SELECT billing_country FROM invoice UNION SELECT country FROM customer ORDER BY 1',
  'SELECT p.name, COUNT(pt.track_id) AS tracks FROM playlist p LEFT JOIN playlist_track pt ON pt.playlist_id = p.playlist_id GROUP BY p.playlist_id, p.name ORDER BY tracks DESC LIMIT 5',
  'SELECT x.country, x.n FROM (SELECT country, COUNT(*) AS n FROM customer GROUP BY country) AS x WHERE x.n > 2',
  "SELECT COALESCE(company, 'private') AS company, NULLIF(state, '') AS state, LOWER(email) LIKE '%@gmail.com' AS gmail FROM customer",
  'SELECT mt.name, SUM(il.unit_price * il.quantity) AS revenue FROM invoice_line il JOIN track t ON t.track_id = il.track_id JOIN media_type mt ON mt.media_type_id = t.media_type_id GROUP BY mt.name',
  'SELECT DISTINCT ON (c.country) c.country, c.first_name, i.total FROM customer c JOIN invoice i ON i.customer_id = c.customer_id ORDER BY c.country, i.total DESC',
  'SELECT a.title, LAG(a.album_id) OVER w AS previous FROM album a WINDOW w AS (ORDER BY a.album_id)',
  'SELECT public.album.title FROM public.album WHERE public.album.album_id < 5',
  'EXPLAIN SELECT * FROM track WHERE genre_id = 1',
  'VALUES (1, 2), (3, 4)',
  'SELECT t.name FROM track t CROSS JOIN LATERAL (SELECT COUNT(*) AS n FROM invoice_line il WHERE il.track_id = t.track_id) s WHERE s.n > 1',
  'SELECT n, n * 2 AS twice FROM generate_series(1, 5) AS g(n)',
];

/** The same kind of queries for MariaDB's Chinook (PascalCase names). */
const CHINOOK_MYSQL = [
  'SELECT ar.Name, COUNT(al.AlbumId) AS albums FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId GROUP BY ar.Name HAVING albums > 3 ORDER BY albums DESC',
  'WITH sales AS (SELECT c.Country, SUM(i.Total) AS total FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId GROUP BY c.Country) SELECT Country, total, RANK() OVER (ORDER BY total DESC) AS position FROM sales',
  "SELECT DATE_FORMAT(InvoiceDate, '%Y-%m') AS month, SUM(Total) AS revenue FROM Invoice WHERE InvoiceDate >= '2021-01-01' AND InvoiceDate < DATE_SUB(NOW(), INTERVAL 1 DAY) GROUP BY month ORDER BY month",
  'SELECT YEAR(InvoiceDate) AS y, MONTH(InvoiceDate) AS m, COUNT(*) FROM Invoice GROUP BY y, m',
  'SELECT t.Name, ROW_NUMBER() OVER (PARTITION BY t.AlbumId ORDER BY t.Milliseconds DESC) AS rn FROM Track t',
  "SELECT Name, CASE WHEN Milliseconds > 300000 THEN 'long' ELSE 'short' END AS length_class FROM Track",
  'SELECT c.FirstName, c.LastName FROM Customer c WHERE EXISTS (SELECT 1 FROM Invoice i WHERE i.CustomerId = c.CustomerId AND i.Total > 20)',
  'SELECT Name FROM Track WHERE TrackId IN (SELECT TrackId FROM InvoiceLine GROUP BY TrackId HAVING SUM(Quantity) > 1)',
  "SELECT CONCAT(e.FirstName, ' ', e.LastName) AS employee, m.FirstName AS manager FROM Employee e LEFT JOIN Employee m ON m.EmployeeId = e.ReportsTo",
  'SELECT BillingCountry FROM Invoice UNION SELECT Country FROM Customer ORDER BY 1',
  'SELECT x.Country, x.n FROM (SELECT Country, COUNT(*) AS n FROM Customer GROUP BY Country) AS x WHERE x.n > 2 LIMIT 3',
  "SELECT IFNULL(Company, 'private') AS company, GROUP_CONCAT(DISTINCT City ORDER BY City SEPARATOR ', ') AS cities FROM Customer GROUP BY company",
  "SELECT `Name`, REPLACE(`Name`, 'a', 'b') AS replaced, SUBSTRING(`Name`, 1, 3) AS prefix FROM `Genre`",
  "SELECT Name, TRUNCATE(UnitPrice, 1) AS price, INSERT(Name, 1, 2, 'xx') AS renamed FROM Track WHERE UnitPrice > 0.99",
  'SELECT g.Name, AVG(t.Milliseconds) / 1000 AS seconds FROM Genre g JOIN Track t ON t.GenreId = g.GenreId GROUP BY g.Name ORDER BY seconds DESC LIMIT 5',
];

async function mysqlExplain(sql: string): Promise<string | null> {
  const conn = await createConnection({ ...MARIADB_ADMIN, database: chinookMysqlDb });
  try {
    await conn.query(`EXPLAIN ${sql}`);
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await conn.end();
  }
}

/** The schema with every column renamed: a guard that really resolves columns refuses almost everything. */
const renamed = (snapshot: SchemaSnapshot): SchemaSnapshot => ({
  ...snapshot,
  tables: snapshot.tables.map((t) => ({ ...t, columns: t.columns.map((c) => ({ ...c, name: `${c.name}_renamed` })) })),
});

interface Refusal {
  sql: string;
  errors: string[];
}

async function pgExplain(url: string, sql: string): Promise<string | null> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`EXPLAIN ${sql}`);
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await client.end();
  }
}

async function checkAll(
  queries: string[],
  options: GuardOptions,
  runsOn?: (sql: string) => Promise<string | null>,
): Promise<{ passed: number; refused: Refusal[]; failedToRun: Refusal[] }> {
  const refused: Refusal[] = [];
  const failedToRun: Refusal[] = [];
  let passed = 0;
  for (const sql of queries) {
    const result = await guard.check(sql, options);
    if (!result.ok) {
      refused.push({ sql, errors: result.errors.map((e) => `${e.code}: ${e.message}`) });
      continue;
    }
    passed++;
    const problem = runsOn ? await runsOn(result.normalizedSql) : null;
    if (problem) failedToRun.push({ sql: result.normalizedSql, errors: [problem] });
  }
  return { passed, refused, failedToRun };
}

describe('SqlGuard on gold queries (real databases, schemas introspected by the plugins)', () => {
  const defog = defogQuestions();
  const snapshots = new Map<string, SchemaSnapshot>();
  let chinookPg: SchemaSnapshot;
  let chinookMysql: SchemaSnapshot;
  let chinookSqlite: SchemaSnapshot;

  beforeAll(async () => {
    await Promise.all([
      ...DEFOG_DATABASES.map(async (db) => {
        await loadDefog(db, defogUrl(db));
        snapshots.set(db, await postgres.sql.introspect(pgContext(defogUrl(db))));
      }),
      (async () => {
        await loadChinookPostgres(chinookPgUrl);
        chinookPg = await postgres.sql.introspect(pgContext(chinookPgUrl));
      })(),
      (async () => {
        await loadChinookMariadb(chinookMysqlDb);
        const config = mysql.parseConfig(
          { host: '127.0.0.1', port: 3306, database: chinookMysqlDb, user: 'root', ssl: { mode: 'disable' } },
          { password: '' },
        );
        chinookMysql = await mysql.sql.introspect(contextFor<MysqlConfig>(config));
      })(),
      (async () => {
        const config = sqlite.parseConfig({ path: sqliteFile });
        chinookSqlite = await sqlite.sql.introspect(contextFor<SqliteConfig>(config));
      })(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([
      ...DEFOG_DATABASES.map((db) => dropDatabase(defogUrl(db))),
      dropDatabase(chinookPgUrl),
      dropMariadbDatabase(chinookMysqlDb),
    ]);
    await Promise.all([postgres.onModuleDestroy(), mysql.onModuleDestroy(), sqlite.onModuleDestroy(), guard.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  it('accepts every expanded defog gold query (210 questions, PostgreSQL) without a schema', async () => {
    const queries = defog.flatMap((q) => expandGold(q.gold)).filter((sql) => !(sql in EXCLUDED_DEFOG));
    const { passed, refused } = await checkAll(queries, { dialect: 'postgresql', maxRows: MAX_ROWS });
    console.log(`defog without schema: ${passed}/${queries.length} accepted`);
    expect(refused).toEqual([]);
  });

  it('accepts every expanded defog gold query against its introspected schema, and what it hands out runs', async () => {
    let total = 0;
    let accepted = 0;
    const refused: Refusal[] = [];
    const failedToRun: Refusal[] = [];
    const started = performance.now();
    let explaining = 0;
    const explain = async (url: string, sql: string) => {
      const begun = performance.now();
      const problem = await pgExplain(url, sql);
      explaining += performance.now() - begun;
      return problem;
    };
    for (const db of DEFOG_DATABASES) {
      const queries = defog
        .filter((q) => q.db === db)
        .flatMap((q) => expandGold(q.gold))
        .filter((sql) => !(sql in EXCLUDED_DEFOG));
      const outcome = await checkAll(
        queries,
        { dialect: 'postgresql', schema: snapshots.get(db)!, maxRows: MAX_ROWS },
        (sql) => explain(defogUrl(db), sql),
      );
      total += queries.length;
      accepted += outcome.passed;
      refused.push(...outcome.refused);
      failedToRun.push(...outcome.failedToRun);
    }
    const perCheck = (performance.now() - started - explaining) / total;
    console.log(
      `defog with schema: ${accepted}/${total} accepted, ${accepted - failedToRun.length} of them EXPLAINed fine; ${perCheck.toFixed(2)} ms per check`,
    );
    expect(refused).toEqual([]);
    expect(failedToRun).toEqual([]);
  });

  it('accepts the 84 Spider chinook_1 gold queries (SQLite) against the introspected Chinook file', async () => {
    const spider = JSON.parse(
      readFileSync(join(__dirname, '../../../../test/fixtures/spider/spider_chinook_1_questions.json'), 'utf8'),
    ) as Array<{ query: string }>;
    const db = new BetterSqlite3(sqliteFile, { readonly: true });
    try {
      const outcome = await checkAll(
        spider.map((s) => s.query),
        { dialect: 'sqlite', schema: chinookSqlite, maxRows: MAX_ROWS },
        async (sql) => {
          try {
            db.prepare(sql);
            return null;
          } catch (e) {
            return (e as Error).message;
          }
        },
      );
      console.log(`spider chinook_1: ${outcome.passed}/${spider.length} accepted`);
      expect(outcome.refused).toEqual([]);
      expect(outcome.failedToRun).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('resolves the columns of the gold queries: with every column renamed, they are refused', async () => {
    let total = 0;
    let unknown = 0;
    for (const db of DEFOG_DATABASES) {
      const queries = defog.filter((q) => q.db === db).flatMap((q) => expandGold(q.gold));
      for (const sql of queries) {
        const result = await guard.check(sql, { dialect: 'postgresql', schema: renamed(snapshots.get(db)!) });
        total++;
        if (result.errors.some((e) => e.code === 'UNKNOWN_COLUMN')) unknown++;
      }
    }
    console.log(`defog with renamed columns: ${unknown}/${total} refused with UNKNOWN_COLUMN`);
    expect(unknown / total).toBeGreaterThan(0.95);
  });

  it('accepts Chinook sanity queries on PostgreSQL (also the few-shot examples) and they run', async () => {
    const examples = (
      JSON.parse(readFileSync(join(__dirname, '../../../../test/fixtures/chinook-examples.json'), 'utf8')) as {
        examples: Array<{ sql: string }>;
      }
    ).examples.map((e) => e.sql);
    const queries = [...CHINOOK_POSTGRES, ...examples];
    const outcome = await checkAll(queries, { dialect: 'postgresql', schema: chinookPg, maxRows: MAX_ROWS }, (sql) =>
      pgExplain(chinookPgUrl, sql.replace(/^EXPLAIN /, '')),
    );
    console.log(`chinook postgresql: ${outcome.passed}/${queries.length} accepted`);
    expect(outcome.refused).toEqual([]);
    expect(outcome.failedToRun).toEqual([]);
  });

  it('accepts Chinook sanity queries on MariaDB and they run', async () => {
    const outcome = await checkAll(
      CHINOOK_MYSQL,
      { dialect: 'mysql', schema: chinookMysql, maxRows: MAX_ROWS },
      mysqlExplain,
    );
    console.log(`chinook mysql: ${outcome.passed}/${CHINOOK_MYSQL.length} accepted`);
    expect(outcome.refused).toEqual([]);
    expect(outcome.failedToRun).toEqual([]);
  });

  it('spells out SELECT * without pii columns, and PostgreSQL returns exactly the others', async () => {
    const piiColumns = [
      { table: 'public.customer', column: 'email' },
      { table: 'public.customer', column: 'phone' },
    ];
    const result = await guard.check('SELECT * FROM customer c JOIN invoice i ON i.customer_id = c.customer_id', {
      dialect: 'postgresql',
      schema: chinookPg,
      piiColumns,
      maxRows: 3,
    });
    expect(result).toMatchObject({ ok: true, warnings: [expect.objectContaining({ code: 'STAR_REWRITTEN' })] });
    const client = new Client({ connectionString: chinookPgUrl });
    await client.connect();
    try {
      const { fields, rows } = await client.query(result.normalizedSql);
      const names = fields.map((f) => f.name);
      expect(rows).toHaveLength(3);
      expect(names).not.toContain('email');
      expect(names).not.toContain('phone');
      expect(names).toEqual(expect.arrayContaining(['first_name', 'country', 'invoice_id', 'total']));
    } finally {
      await client.end();
    }
    const refused = await guard.check("SELECT first_name FROM customer WHERE email LIKE '%@gmail.com'", {
      dialect: 'postgresql',
      schema: chinookPg,
      piiColumns,
    });
    expect(refused.errors).toEqual([
      expect.objectContaining({ code: 'PII_COLUMN', message: expect.stringContaining('"email" is withheld') }),
    ]);
  });

  it('transpiles MySQL to PostgreSQL and the result runs on PostgreSQL', async () => {
    const sql =
      "SELECT `name`, IFNULL(composer, 'unknown') AS composer FROM track WHERE milliseconds > 300000 LIMIT 5, 10";
    const result = await guard.check(sql, {
      dialect: 'postgresql',
      fromDialect: 'mysql',
      schema: chinookPg,
      maxRows: 100,
    });
    expect(result).toMatchObject({ ok: true, errors: [] });
    expect(result.normalizedSql).toBe(
      'SELECT "name", COALESCE(composer, \'unknown\') AS composer FROM track WHERE milliseconds > 300000 LIMIT 10 OFFSET 5',
    );
    expect(await pgExplain(chinookPgUrl, result.normalizedSql)).toBeNull();
  });
});
