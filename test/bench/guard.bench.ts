import type { SchemaSnapshot, SqlDialect } from '@sluice/connectors';
import {
  LocalFileStorage,
  PostgresConfig,
  PostgresqlConnector,
  SqliteConfig,
  SqliteConnector,
} from '@sluice/connectors';
import { loadPolyglot, polyglotDialect, randomAlphanumeric } from '@sluice/core';
import { checkSql, GuardOptions, SqlGuard } from '@sluice/nl2sql/testing';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFor } from '../helpers/connector-testing';
import { DEFOG_DATABASES, defogQuestions, expandGold, loadDefog } from '../helpers/defog';
import { birdSchema, goldFile } from '../helpers/gold-sql';
import { databaseName, dropDatabase, testEnv } from '../helpers/test-env';
import { BenchmarkResult, measure, round } from './benchmark';

export const name = 'guard';
export const description =
  'the SQL guard on the gold SQL of defog, Spider dev and BIRD mini-dev (each against its real schema) and on the hostile corpus: statements per second, hostile refused, false refusals';

const FIXTURES = join(__dirname, '..', 'fixtures');
const MAX_ROWS = 1000;
/** Checks in flight at once: enough to keep every worker of the pool busy. */
const IN_FLIGHT = 8;

interface Statement {
  set: string;
  db: string;
  sql: string;
  options: GuardOptions;
}

interface Refusal {
  set: string;
  db: string;
  sql: string;
  reasons: string[];
}

interface Hostile {
  dialect: SqlDialect;
  sql: string;
  why: string;
  plainWrite?: boolean;
}

const ones = (n: number) => `SELECT ${Array(n).fill('1').join(',')}`;
const ors = (n: number) =>
  `SELECT name FROM track WHERE ${Array.from({ length: n }, (_, i) => `track_id = ${i}`).join(' OR ')}`;

/**
 * The hostile corpus: test/fixtures/hostile-sql.json (writes, DDL, catalog reads, file and
 * network functions, stacked statements, comment tricks in three dialects) and the statements of
 * security issue 11 that stalled the API by their size (see test/nl2sql-guard-load.e2e-spec.ts).
 */
function hostileCorpus(): Hostile[] {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, 'hostile-sql.json'), 'utf8')) as Hostile[];
  const sized: Hostile[] = [
    { dialect: 'sqlite', sql: ones(15_000), why: 'a 30 KB SELECT 1,1,...' },
    { dialect: 'sqlite', sql: `SELECT ${'('.repeat(30_000)}1${')'.repeat(30_000)}`, why: '30,000 nested parentheses' },
    { dialect: 'sqlite', sql: ors(5_000), why: '5,000 ORs' },
    {
      dialect: 'sqlite',
      sql: `SELECT name FROM track WHERE name = '${'x'.repeat(100_000 - 40)}'`,
      why: '100,000 characters',
    },
  ];
  return [...fixture, ...sized];
}

/** A refusal's reasons, whether the guard answered ok: false or threw (size, deadline). */
async function reasonsOf(guard: SqlGuard, sql: string, options: GuardOptions): Promise<string[]> {
  try {
    const result = await guard.check(sql, options);
    return result.ok ? [] : result.errors.map((e) => `${e.code}: ${e.message}`);
  } catch (error) {
    const e = error as Error & { code?: string };
    return [`${e.code ?? e.name}: ${e.message}`];
  }
}

/** Runs `work` over `items` with `width` in flight, keeping the results in order. */
async function inFlight<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** The gold statements of the three sets, each with the real schema of its database. */
async function goldCorpus(root: string, run: string) {
  const env = testEnv({ SQLITE_ALLOWED_DIRS: root, STORAGE_DIR: `${root}-storage` });
  const postgres = new PostgresqlConnector(env);
  const sqlite = new SqliteConnector(env, new LocalFileStorage(env));
  const defogUrl = (db: string) => `postgresql://postgres@127.0.0.1:5432/guard_bench_${db}_${run}`;
  const statements: Statement[] = [];
  try {
    // defog: each database loaded into PostgreSQL and introspected by the plugin, as the API does.
    const defogSchemas = new Map<string, SchemaSnapshot>();
    for (const db of DEFOG_DATABASES) {
      await loadDefog(db, defogUrl(db));
      const config = postgres.parseConfig(
        {
          host: '127.0.0.1',
          port: 5432,
          database: databaseName(defogUrl(db)),
          user: 'postgres',
          ssl: { mode: 'disable' },
        },
        { password: '' },
      );
      defogSchemas.set(db, await postgres.sql.introspect(contextFor<PostgresConfig>(config)));
    }
    for (const q of defogQuestions()) {
      for (const sql of expandGold(q.gold)) {
        const options = { dialect: 'postgresql', schema: defogSchemas.get(q.db)!, maxRows: MAX_ROWS };
        statements.push({ set: 'defog', db: q.db, sql, options });
      }
    }

    // Spider dev: the SQLite files present (wta_1 is not), introspected by the plugin.
    const spiderDir = join(FIXTURES, 'spider', 'dev');
    const spiderSchemas = new Map<string, SchemaSnapshot>();
    for (const file of readdirSync(spiderDir).filter((f) => f.endsWith('.sqlite'))) {
      const path = join(root, file);
      copyFileSync(join(spiderDir, file), path);
      const config = sqlite.parseConfig({ path });
      spiderSchemas.set(file.replace(/\.sqlite$/, ''), await sqlite.sql.introspect(contextFor<SqliteConfig>(config)));
    }
    for (const g of goldFile(join(spiderDir, 'dev_gold.sql')).filter((x) => spiderSchemas.has(x.db))) {
      statements.push({
        set: 'spider',
        db: g.db,
        sql: g.sql,
        options: { dialect: 'sqlite', schema: spiderSchemas.get(g.db)!, maxRows: MAX_ROWS },
      });
    }

    // BIRD mini-dev: the gold SQL of each dialect against the tables and columns of its DDL.
    for (const [dialect, schema] of [
      ['sqlite', null],
      ['mysql', 'bird'],
      ['postgresql', 'public'],
    ] as Array<[SqlDialect, string | null]>) {
      const schemas = new Map<string, ReturnType<typeof birdSchema>>();
      for (const g of goldFile(join(FIXTURES, 'bird-mini-dev', `mini_dev_${dialect}_gold.sql`))) {
        if (!schemas.has(g.db)) schemas.set(g.db, birdSchema(g.db, schema));
        statements.push({
          set: `bird-${dialect}`,
          db: g.db,
          sql: g.sql,
          options: { dialect, schema: schemas.get(g.db)!, maxRows: MAX_ROWS },
        });
      }
    }
    return statements;
  } finally {
    await Promise.all(DEFOG_DATABASES.map((db) => dropDatabase(defogUrl(db))));
    await postgres.onModuleDestroy();
    await sqlite.onModuleDestroy();
  }
}

const perSecond = (count: number, ms: number) => (count * 1000) / ms;

export async function run(): Promise<BenchmarkResult> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-guard-bench-')));
  const guard = new SqlGuard();
  try {
    const statements = await goldCorpus(root, randomAlphanumeric(8).toLowerCase());
    const p = await loadPolyglot();

    // Each way of checking gets a full pass to warm up first (the JIT of the thread, and for the
    // pool its second thread, which loads the parser when the first pass queues work for it).
    const parse = (s: Statement) => p.parse(s.sql, polyglotDialect(s.options.dialect)).success;
    const parseAll = () => statements.filter((s) => !parse(s)).length;
    const checkAllInThread = async () => {
      for (const s of statements) await checkSql(s.sql, s.options);
    };
    const checkAllInPool = () => inFlight(statements, IN_FLIGHT, (s) => reasonsOf(guard, s.sql, s.options));

    // Baseline: the bare parse of the same statements in this thread, the least any check costs.
    parseAll();
    let started = performance.now();
    const parseFailures = parseAll();
    const parseMs = performance.now() - started;

    // The guard's own work in this thread, without the pool (what one worker does per check).
    await checkAllInThread();
    started = performance.now();
    await checkAllInThread();
    const inThreadMs = performance.now() - started;

    // The guard as the API runs it: the worker pool with IN_FLIGHT checks at a time. The
    // measured pass gives the false refusals.
    await checkAllInPool();
    started = performance.now();
    const reasons = await checkAllInPool();
    const poolMs = performance.now() - started;

    // One check at a time through the pool: the latency of a single check, messaging included.
    const sample = statements.filter((_, i) => i % 5 === 0);
    started = performance.now();
    for (const s of sample) await reasonsOf(guard, s.sql, s.options);
    const serialMs = performance.now() - started;

    const refusals: Refusal[] = [];
    statements.forEach((s, i) => {
      if (reasons[i].length) refusals.push({ set: s.set, db: s.db, sql: s.sql, reasons: reasons[i] });
    });
    const sets = [...new Set(statements.map((s) => s.set))];
    const bySet = Object.fromEntries(
      sets.map((set) => {
        const total = statements.filter((s) => s.set === set).length;
        const refused = refusals.filter((r) => r.set === set).length;
        return [set, { total, refused, share: round(refused / total) }];
      }),
    );

    // Hostile: refused for a read-only caller; with mutations allowed, all but the plain writes.
    const hostile = hostileCorpus();
    const passed: Hostile[] = [];
    const hostileCodes: Record<string, number> = {};
    for (const h of hostile) {
      const why = await reasonsOf(guard, h.sql, { dialect: h.dialect, maxRows: 100 });
      if (!why.length) passed.push(h);
      const code = why[0]?.split(':')[0] ?? 'none';
      hostileCodes[code] = (hostileCodes[code] ?? 0) + 1;
    }
    const dangerous = hostile.filter((h) => !h.plainWrite);
    const passedWithWrites: Hostile[] = [];
    for (const h of dangerous) {
      const why = await reasonsOf(guard, h.sql, { dialect: h.dialect, allowMutations: true, maxRows: 100 });
      if (!why.length) passedWithWrites.push(h);
    }
    const hostileRefused = hostile.length - passed.length + (dangerous.length - passedWithWrites.length);
    const hostileTotal = hostile.length + dangerous.length;

    const falseMeasure = (set: string, label: string, target: string, limit: (total: number) => number) =>
      measure({
        what: `false refusals on ${label} (${bySet[set].total} gold queries, real schema)`,
        unit: 'statements',
        figure: bySet[set].refused,
        target,
        met: (figure) => figure <= limit(bySet[set].total),
        note: `${round((100 * bySet[set].refused) / bySet[set].total)}% refused`,
      });
    const poolRate = perSecond(statements.length, poolMs);
    return {
      measures: [
        measure({
          what: `guard checks per second, ${statements.length} gold statements, worker pool, ${IN_FLIGHT} in flight`,
          unit: 'stmt/s',
          figure: poolRate,
          baseline: {
            what: 'bare parse of the same statements, one thread',
            figure: perSecond(statements.length, parseMs),
          },
          // A check parses, validates and writes the statement twice and walks its tree. The
          // bare parse swings by up to 10x between runs here (the parser's WebAssembly is
          // recompiled by the optimising tier at some point of the run), so no ratio is held.
          target: 'reported (the issue sets no target)',
          met: () => true,
          note: `the same checks in one thread without the pool: ${round(perSecond(statements.length, inThreadMs))} stmt/s; one check at a time through the pool: ${round(serialMs / sample.length)} ms each`,
        }),
        measure({
          what: `hostile statements refused (${hostile.length} read-only, ${dangerous.length} again with writes allowed)`,
          unit: '%',
          figure: (100 * hostileRefused) / hostileTotal,
          target: '100%',
          met: (figure) => figure === 100,
        }),
        falseMeasure('defog', 'defog (expanded, PostgreSQL)', '0', () => 0),
        falseMeasure('spider', 'Spider dev (19 databases, SQLite)', '0', () => 0),
        ...(['sqlite', 'mysql', 'postgresql'] as const).map((d) =>
          falseMeasure(`bird-${d}`, `BIRD mini-dev ${d}`, '≤ 1%', (total) => Math.floor(total / 100)),
        ),
      ],
      details: {
        throughput: {
          statements: statements.length,
          poolPerSecond: round(poolRate),
          poolThreads: guard.threads,
          bareParsePerSecond: round(perSecond(statements.length, parseMs)),
          bareParseFailures: parseFailures,
          checkInThreadPerSecond: round(perSecond(statements.length, inThreadMs)),
          serialThroughPoolMsPerCheck: round(serialMs / sample.length),
        },
        falseRefusals: bySet,
        refused: refusals,
        hostile: {
          readOnly: { total: hostile.length, passed: passed.map((h) => ({ dialect: h.dialect, why: h.why })) },
          writesAllowed: {
            total: dangerous.length,
            passed: passedWithWrites.map((h) => ({ dialect: h.dialect, why: h.why })),
          },
          firstErrorCodes: hostileCodes,
        },
      },
    };
  } finally {
    await guard.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(`${root}-storage`, { recursive: true, force: true });
  }
}
