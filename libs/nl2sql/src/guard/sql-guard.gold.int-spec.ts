import BetterSqlite3 from 'better-sqlite3';
import type { SchemaSnapshot, SqlDialect, TableInfo } from '@sluice/connectors';
import { SqliteConfig, SqliteConnector, LocalFileStorage } from '@sluice/connectors';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFor } from '../../../../test/helpers/connector-testing';
import { birdSchema, Gold, goldFile } from '../../../../test/helpers/gold-sql';
import { testEnv } from '../../../../test/helpers/test-env';
import { GuardOptions, GuardResult, SqlGuard } from './sql-guard';

/**
 * The allow-lists and limits measured against real analytic SQL: the gold queries of Spider's
 * dev set (against the schema introspected from its SQLite files) and of BIRD's mini-dev set in
 * three dialects (against its DDL). defog and Spider's chinook_1 run in sql-guard.int-spec.ts
 * against real databases. Spider must pass whole; BIRD is reported (its gold SQL holds a few
 * statements the parser does not read).
 */

const FIXTURES = join(__dirname, '../../../../test/fixtures');
const root = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-gold-')));
const env = testEnv({ SQLITE_ALLOWED_DIRS: root, STORAGE_DIR: `${root}-storage` });
const sqlite = new SqliteConnector(env, new LocalFileStorage(env));
const guard = new SqlGuard();
const MAX_ROWS = 1000;

interface Outcome {
  total: number;
  refused: Array<{ sql: string; db: string; errors: string[] }>;
}

/** Checks every query, two at a time (the guard's pool has a worker per core). */
async function measure(golds: Gold[], options: (db: string) => GuardOptions): Promise<Outcome> {
  const refused: Outcome['refused'] = [];
  const results: Array<GuardResult | Error> = [];
  for (let i = 0; i < golds.length; i += 2) {
    const pair = golds.slice(i, i + 2);
    results.push(...(await Promise.all(pair.map((g) => guard.check(g.sql, options(g.db)).catch((e: Error) => e)))));
  }
  results.forEach((result, i) => {
    if (result instanceof Error) refused.push({ ...golds[i], errors: [`${result.name}: ${result.message}`] });
    else if (!result.ok) refused.push({ ...golds[i], errors: result.errors.map((e) => `${e.code}: ${e.message}`) });
  });
  return { total: golds.length, refused };
}

const report = (name: string, o: Outcome) =>
  console.log(
    `${name}: ${o.total - o.refused.length}/${o.total} accepted, ${o.refused.length} refused` +
      (o.refused.length
        ? `\n${o.refused.map((r) => `  [${r.db}] ${r.sql}\n    ${r.errors.join('\n    ')}`).join('\n')}`
        : ''),
  );

describe('SqlGuard on the gold SQL of Spider dev and BIRD mini-dev', () => {
  const spiderDir = join(FIXTURES, 'spider', 'dev');
  const spiderDbs = readdirSync(spiderDir)
    .filter((f) => f.endsWith('.sqlite'))
    .map((f) => f.replace(/\.sqlite$/, ''));
  const spiderSchemas = new Map<string, SchemaSnapshot>();

  beforeAll(async () => {
    for (const db of spiderDbs) {
      const path = join(root, `${db}.sqlite`);
      copyFileSync(join(spiderDir, `${db}.sqlite`), path);
      spiderSchemas.set(db, await sqlite.sql.introspect(contextFor<SqliteConfig>(sqlite.parseConfig({ path }))));
    }
  }, 60_000);

  afterAll(async () => {
    await guard.close();
    await sqlite.onModuleDestroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('accepts every Spider dev gold query of the 19 databases present, against the introspected schema, and what it hands out prepares', async () => {
    const all = goldFile(join(spiderDir, 'dev_gold.sql'));
    const golds = all.filter((g) => spiderSchemas.has(g.db));
    expect(all).toHaveLength(1034);
    expect(golds.length).toBe(1034 - all.filter((g) => g.db === 'wta_1').length);
    const outcome = await measure(golds, (db) => ({
      dialect: 'sqlite',
      schema: spiderSchemas.get(db)!,
      maxRows: MAX_ROWS,
    }));
    report(`Spider dev (${spiderDbs.length} databases, wta_1 missing)`, outcome);
    expect(outcome.refused).toEqual([]);

    const failedToPrepare: string[] = [];
    for (const db of spiderDbs) {
      const file = new BetterSqlite3(join(root, `${db}.sqlite`), { readonly: true });
      try {
        for (const g of golds.filter((x) => x.db === db)) {
          const result = await guard.check(g.sql, {
            dialect: 'sqlite',
            schema: spiderSchemas.get(db)!,
            maxRows: MAX_ROWS,
          });
          try {
            file.prepare(result.normalizedSql);
          } catch (e) {
            failedToPrepare.push(`[${db}] ${result.normalizedSql}: ${(e as Error).message}`);
          }
        }
      } finally {
        file.close();
      }
    }
    expect(failedToPrepare).toEqual([]);
  }, 300_000);

  it.each<[SqlDialect, string | null]>([
    ['postgresql', 'public'],
    ['mysql', 'bird'],
    ['sqlite', null],
  ])(
    'reports the BIRD mini-dev gold SQL (%s) against its DDL',
    async (dialect, schema) => {
      const file = join(FIXTURES, 'bird-mini-dev', `mini_dev_${dialect}_gold.sql`);
      expect(existsSync(file)).toBe(true);
      const golds = goldFile(file);
      expect(golds).toHaveLength(500);
      const schemas = new Map<string, { tables: TableInfo[] }>();
      const outcome = await measure(golds, (db) => {
        if (!schemas.has(db)) schemas.set(db, birdSchema(db, schema));
        return { dialect, schema: schemas.get(db)!, maxRows: MAX_ROWS };
      });
      report(`BIRD mini-dev ${dialect}`, outcome);
      // Known: the parser reads `NOT x LIKE ...` as raw text and `... percent FROM` (a bare
      // alias named like a keyword) not at all. Nothing is refused for a function or a limit.
      const codes = outcome.refused.flatMap((r) => r.errors.map((e) => e.split(':')[0]));
      expect(
        codes.filter((c) => ['FUNCTION_NOT_ALLOWED', 'SQL_TOO_COMPLEX', 'SIZE_LIMIT', 'RECHECK_MISMATCH'].includes(c)),
      ).toEqual([]);
      expect(outcome.refused.length).toBeLessThanOrEqual(10);
    },
    300_000,
  );
});
