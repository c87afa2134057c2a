import { SqlDatabase } from '@langchain/classic/sql_db';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { localPostgresConnector } from '../helpers/chinook';
import { startTestApp, TestApp } from '../helpers/test-app';
import { dropDatabase, testVariables } from '../helpers/test-env';
import { BenchmarkResult, envInteger, measure, percentile, round, UNLIMITED_RATES } from './benchmark';
import { createConnector } from './api-app';
import { createLargeSchema } from './large-schema';

export const name = 'introspect';
export const description =
  'GET /connectors/{id}/schema?refresh=true on a 2,000-table × 10-column PostgreSQL schema, unchanged and just changed, against LangChain JS SqlDatabase describing the same database';

/** One statement reading every table, column and comment of the schema, for reference only. */
const CATALOG_SQL = `
SELECT c.relname, td.description, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, cd.description
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_description td ON td.objoid = c.oid AND td.classoid = 'pg_class'::regclass AND td.objsubid = 0
LEFT JOIN pg_description cd ON cd.objoid = c.oid AND cd.classoid = 'pg_class'::regclass AND cd.objsubid = a.attnum
WHERE n.nspname = 'public' AND c.relkind = 'r'
ORDER BY c.oid, a.attnum`;

const median = (values: number[]) => percentile(values, 50);
const min = (values: number[]) => Math.min(...values);

/** Milliseconds `work` takes. */
async function time(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * What a LangChain user runs to describe a database for a prompt: a fresh SqlDatabase over a
 * TypeORM data source, then the CREATE TABLE text of every table (no sample rows, as our schema
 * has none either). Returns the length of the description, so the work cannot be skipped.
 */
async function describeWithLangChain(url: string): Promise<number> {
  const dataSource = new DataSource({ type: 'postgres', url });
  try {
    const db = await SqlDatabase.fromDataSourceParams({ appDataSource: dataSource, sampleRowsInTableInfo: 0 });
    const info = await db.getTableInfo();
    return info.length;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

async function catalogQuery(url: string): Promise<{ ms: number; rows: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(CATALOG_SQL); // warm the connection's catalog cache, as the pools are
    let rows = 0;
    const ms = await time(async () => {
      rows = (await client.query(CATALOG_SQL)).rowCount ?? 0;
    });
    return { ms, rows };
  } finally {
    await client.end();
  }
}

export async function run(): Promise<BenchmarkResult> {
  const runs = envInteger('BENCH_RUNS', 7);
  const tableCount = envInteger('BENCH_TABLES', 2_000);
  const columnCount = envInteger('BENCH_COLUMNS', 10);
  const url = testVariables().DATABASE_URL.replace('sluice_test_', 'large_schema_bench_');
  let app: TestApp | undefined;
  try {
    await createLargeSchema(url, tableCount, columnCount);
    app = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', ...UNLIMITED_RATES });
    const token = await app.http.login('admin@acme.test', 'acme-admin-password');
    const id = await createConnector(app, token, { name: 'Large schema', ...localPostgresConnector(url) });
    const path = `/api/v1/connectors/${id}/schema?refresh=true`;

    let described = 0;
    // The first answer goes through the test client, which checks it against openapi.json; the
    // timed ones are plain fetches that read the whole body, so the client's checks are not timed.
    const first = await app.http.get(path, { token });
    if (first.status !== 200) throw new Error(`refresh: ${first.status} ${first.text.slice(0, 300)}`);
    if (first.body.pagination.total !== tableCount) {
      throw new Error(`refresh saw ${first.body.pagination.total} tables, expected ${tableCount}`);
    }
    const refresh = async () => {
      const res = await fetch(`${app!.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`refresh: ${res.status} ${body.slice(0, 300)}`);
    };
    const langchain = async () => {
      described = await describeWithLangChain(url);
    };
    // One of each first (the checked refresh above): pools, code paths and modules are warm for every timed run.
    await langchain();

    // A refresh usually finds the schema as it was, and then leaves the stored tables alone; a
    // second series changes one table comment before each refresh, so every table is written again.
    const admin = new Client({ connectionString: url });
    await admin.connect();
    const ours: number[] = [];
    const changed: number[] = [];
    const theirs: number[] = [];
    try {
      // Alternated, so a noisy moment on the machine falls on every side.
      for (let i = 0; i < runs; i++) {
        ours.push(await time(refresh));
        theirs.push(await time(langchain));
        await admin.query(`COMMENT ON TABLE sales_orders IS 'Orders, revision ${i}'`);
        changed.push(await time(refresh));
      }
    } finally {
      await admin.end();
    }
    const catalog = await catalogQuery(url);

    const ourMedian = median(ours);
    const changedMedian = median(changed);
    const theirMedian = median(theirs);
    const baseline = { what: 'LangChain JS SqlDatabase, fromDataSourceParams + getTableInfo()', figure: theirMedian };
    const target = '≥ 10× faster than the baseline and < 500 ms';
    const met = (figure: number, base: number) => figure * 10 <= base && figure < 500;
    return {
      measures: [
        measure({
          what: `GET /schema?refresh=true, ${tableCount} tables × ${columnCount} columns, schema unchanged, median of ${runs}`,
          unit: 'ms',
          figure: ourMedian,
          baseline,
          target,
          met,
          note: `min ${round(min(ours))} ms against ${round(min(theirs))} ms; one catalog query ${round(catalog.ms)} ms`,
        }),
        measure({
          what: `the same after a table comment changed (every table written again), median of ${runs}`,
          unit: 'ms',
          figure: changedMedian,
          baseline,
          target,
          met,
          note: `min ${round(min(changed))} ms`,
        }),
      ],
      details: {
        tables: tableCount,
        columns: columnCount,
        runs,
        refreshMs: { median: round(ourMedian), min: round(min(ours)), all: ours.map(round) },
        refreshAfterChangeMs: { median: round(changedMedian), min: round(min(changed)), all: changed.map(round) },
        langchainMs: { median: round(theirMedian), min: round(min(theirs)), all: theirs.map(round) },
        langchainDescriptionChars: described,
        catalogQuery: { ms: round(catalog.ms), rows: catalog.rows, sql: CATALOG_SQL.trim() },
      },
    };
  } finally {
    await app?.close();
    await dropDatabase(url);
  }
}
