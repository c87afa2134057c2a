// The built-in dialects register when the connectors lib loads, as they do in the app.
import '@sluice/connectors';
import type { SqlDialect } from '@sluice/connectors';
import { loadPolyglot } from '@sluice/core';
import { tableInfo } from '../../../../test/helpers/table-info';
import { lexSql } from './sql-lexer';
import { checkSql } from './sql-check';
import { GuardOptions, GuardResult, SqlGuard, SqlTooComplexError } from './sql-guard';

/** Security issue 11: what the guard checks must be what runs; allow-listed functions; no DoS. */

const customer = ['customer_id', 'first_name', 'last_name', 'email', 'phone', 'country'];
const schemas: Record<SqlDialect, { tables: ReturnType<typeof tableInfo>[] }> = {
  postgresql: { tables: [tableInfo('public', 'customer', customer), tableInfo('public', 'invoice', ['total'])] },
  redshift: { tables: [tableInfo('public', 'customer', customer)] },
  mysql: { tables: [tableInfo('shop', 'customer', customer)] },
  sqlite: { tables: [tableInfo(null, 'customer', customer)] },
};
const piiFor = (dialect: SqlDialect) => [
  {
    table: dialect === 'sqlite' ? 'customer' : dialect === 'mysql' ? 'shop.customer' : 'public.customer',
    column: 'email',
  },
];

const guard = new SqlGuard();
afterAll(() => guard.close());

const check = (sql: string, dialect: SqlDialect = 'postgresql', options: Partial<GuardOptions> = {}) =>
  guard.check(sql, { dialect, schema: schemas[dialect], piiColumns: piiFor(dialect), maxRows: 100, ...options });
const codes = (r: GuardResult) => r.errors.map((e) => e.code);

describe('issue 11.1: the SQL that runs is the SQL that was checked', () => {
  it.each<[SqlDialect, string]>([
    ['postgresql', 'SELECT "lower(email), lower"(first_name) FROM customer'],
    ['postgresql', 'SELECT "(SELECT rolpassword FROM pg_authid LIMIT 1), lower"(first_name) FROM customer'],
    ['postgresql', 'SELECT "pg_catalog"."lower(email), lower"(first_name) FROM customer'],
    ['postgresql', 'SELECT first_name FROM customer WHERE "lower(email) IS NOT NULL AND lower"(country) = \'x\''],
    ['mysql', 'SELECT `lower(email), lower`(first_name) FROM customer'],
    ['sqlite', 'SELECT [lower(email), lower](first_name) FROM customer'],
    ['sqlite', 'SELECT `lower(email), lower`(first_name) FROM customer'],
    ['sqlite', 'SELECT "lower(email), lower"(first_name) FROM customer'],
  ])('%s: refuses %s, and never hands out SQL that reads the pii column', async (dialect, sql) => {
    const result = await check(sql, dialect);
    expect(result.ok).toBe(false);
    expect(result.normalizedSql).toBe(sql);
    expect(codes(result).some((c) => ['QUOTED_FUNCTION', 'FUNCTION_NOT_ALLOWED'].includes(c))).toBe(true);
  });

  it.each<[SqlDialect, string]>([
    ['postgresql', 'SELECT "LOWER"(first_name) FROM customer'],
    ['postgresql', 'SELECT first_name FROM customer WHERE "Count"(*) > 1'],
    ['postgresql', 'SELECT pg_catalog."UPPER"(first_name) FROM customer'],
  ])(
    '%s: refuses %s (a quoted name the parser maps to a built-in, unquoted when written back)',
    async (dialect, sql) => {
      expect(codes(await check(sql, dialect))).toContain('QUOTED_FUNCTION');
    },
  );

  it('tells quoted CTE, alias and insert names with column lists from calls', async () => {
    const none = { schema: undefined, piiColumns: [] };
    for (const sql of [
      'WITH "Big"(n) AS (SELECT 1) SELECT n FROM "Big"',
      'WITH a AS (SELECT 1 AS n), "Big"(m) AS (SELECT 2) SELECT m FROM "Big"',
      'SELECT "X".n FROM (SELECT 1) AS "X"(n)',
    ]) {
      expect({ sql, ...(await check(sql, 'postgresql', none)) }).toMatchObject({ sql, ok: true });
    }
    const insert = await check('INSERT INTO "Notes"("Id") VALUES (1)', 'postgresql', { ...none, allowMutations: true });
    expect(insert).toMatchObject({ ok: true, normalizedSql: 'INSERT INTO "Notes" ("Id") VALUES (1)' });
  });

  it('keeps a quoted function name that writing back does not change', async () => {
    const result = await check('SELECT "lower"(first_name) FROM customer');
    expect(result).toMatchObject({ ok: true, normalizedSql: 'SELECT LOWER(first_name) FROM customer LIMIT 100' });
  });

  it('writes quoted identifiers back exactly as quoted', async () => {
    const schema = { tables: [tableInfo('public', 'Odd Table', ['Mixed Case', 'lower(email)'])] };
    const result = await check('SELECT "Mixed Case", "lower(email)" FROM "Odd Table"', 'postgresql', { schema });
    expect(result).toMatchObject({
      ok: true,
      normalizedSql: 'SELECT "Mixed Case", "lower(email)" FROM "Odd Table" LIMIT 100',
    });
    const mysql = await check('SELECT `Mixed Case` FROM `Odd Table`', 'mysql', {
      schema: { tables: [tableInfo('shop', 'Odd Table', ['Mixed Case'])] },
    });
    expect(mysql).toMatchObject({ ok: true, normalizedSql: 'SELECT `Mixed Case` FROM `Odd Table` LIMIT 100' });
  });

  describe('the second pass over the generated SQL (in this thread, with a generator that misbehaves)', () => {
    let generate: jest.SpyInstance;
    beforeEach(async () => {
      const p = await loadPolyglot();
      const real = p.generate.bind(p);
      let calls = 0;
      // The first generation (the SQL to run) is replaced; later ones are real.
      generate = jest.spyOn(p, 'generate').mockImplementation((...args: Parameters<typeof real>) => {
        calls++;
        return calls === 1 ? { success: true, sql: [smuggled] } : real(...args);
      });
    });
    afterEach(() => generate.mockRestore());
    let smuggled = '';

    it.each([
      ['a pii column', 'SELECT LOWER(email) FROM customer LIMIT 100', 'PII_COLUMN'],
      ['an unknown table', 'SELECT first_name FROM secrets LIMIT 100', 'UNKNOWN_TABLE'],
      ['a catalog', 'SELECT rolpassword FROM pg_authid LIMIT 100', 'SENSITIVE_CATALOG'],
      ['a function off the list', 'SELECT inet_server_addr() FROM customer LIMIT 100', 'FUNCTION_NOT_ALLOWED'],
      ['a write', 'DELETE FROM customer', 'WRITE_NOT_ALLOWED'],
      ['another column of the same table', 'SELECT last_name FROM customer LIMIT 100', 'RECHECK_MISMATCH'],
    ])('refuses SQL to run that names %s', async (_what, sql, code) => {
      smuggled = sql;
      const result = await checkSql('SELECT first_name FROM customer', {
        dialect: 'postgresql',
        schema: schemas.postgresql,
        piiColumns: piiFor('postgresql'),
        maxRows: 100,
      });
      expect(result.ok).toBe(false);
      expect(codes(result)).toContain(code);
      expect(result.normalizedSql).toBe('SELECT first_name FROM customer');
    });
  });
});

describe('issue 11.2: functions on an allow-list per dialect, catalogs, variables, sizes', () => {
  it.each<[SqlDialect, string, string]>([
    ['postgresql', "SELECT * FROM ts_stat('SELECT to_tsvector(email) FROM customer') t", 'ts_stat'],
    ['postgresql', "SELECT ts_stat('SELECT 1')", 'ts_stat'],
    ['postgresql', "SELECT ts_rewrite('a'::tsquery, 'SELECT email, email FROM customer')", 'ts_rewrite'],
    ['postgresql', 'SELECT pg_stat_get_activity(NULL)', 'pg_stat_get_activity'],
    ['postgresql', 'SELECT * FROM pg_stat_get_activity(NULL) a', 'pg_stat_get_activity'],
    ['postgresql', 'SELECT pg_stat_get_backend_activity(1)', 'pg_stat_get_backend_activity'],
    ['postgresql', 'SELECT * FROM pg_show_all_settings() s', 'pg_show_all_settings'],
    ['postgresql', 'SELECT * FROM pg_hba_file_rules() r', 'pg_hba_file_rules'],
    ['postgresql', 'SELECT pg_stat_statements_reset()', 'pg_stat_statements_reset'],
    ['postgresql', 'SELECT pg_log_backend_memory_contexts(1)', 'pg_log_backend_memory_contexts'],
    ['postgresql', "SELECT brin_summarize_new_values('idx')", 'brin_summarize_new_values'],
    ['postgresql', "SELECT pg_catalog.ts_stat('SELECT 1')", 'ts_stat'],
    ['postgresql', 'SELECT public.my_function(1)', 'my_function'],
    ['postgresql', "SELECT inet_server_addr(), version(), current_setting('data_directory')", 'inet_server_addr'],
    ['postgresql', 'SELECT * FROM customer c, LATERAL pg_get_keywords() k', 'pg_get_keywords'],
    ['mysql', 'SELECT uuid_short(), connection_id()', 'uuid_short'],
    ['mysql', "SELECT * FROM json_table('[1]', '$[*]' COLUMNS (a INT PATH '$')) j", 'json_table'],
    ['sqlite', "SELECT * FROM pragma_table_info('customer')", 'pragma_table_info'],
    ['sqlite', 'SELECT sqlite_version(), changes(), last_insert_rowid()', 'sqlite_version'],
  ])('%s: refuses %s, naming the function', async (dialect, sql, name) => {
    const result = await check(sql, dialect, { schema: undefined });
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.message).join(' ')).toContain(name);
  });

  it.each<[SqlDialect, string]>([
    ['mysql', 'SELECT @@datadir'],
    ['mysql', 'SELECT @@secure_file_priv'],
    ['mysql', 'SELECT @@global.secure_file_priv'],
    ['mysql', 'SELECT first_name FROM customer WHERE country = @@hostname'],
    ['postgresql', 'SELECT @@version'],
  ])('%s: refuses the system variable in %s', async (dialect, sql) => {
    expect(codes(await check(sql, dialect))).toContain('SYSTEM_VARIABLE');
  });

  it.each<[SqlDialect, string]>([
    ['mysql', 'SELECT * FROM information_schema.innodb_trx'],
    ['mysql', 'SELECT trx_query FROM INFORMATION_SCHEMA.INNODB_TRX'],
    ['mysql', 'SELECT * FROM information_schema.processlist'],
    ['mysql', 'SELECT * FROM performance_schema.threads'],
    ['mysql', 'SELECT * FROM sys.session'],
    ['mysql', 'SELECT * FROM mysql.db'],
    ['postgresql', 'SELECT * FROM pg_catalog.pg_roles'],
    ['postgresql', 'SELECT * FROM pg_settings'],
    ['postgresql', 'SELECT * FROM information_schema.role_table_grants'],
    ['sqlite', 'SELECT * FROM sqlite_dbpage'],
    ['sqlite', 'SELECT * FROM sqlite_stat1'],
  ])('%s: refuses the catalog relation in %s', async (dialect, sql) => {
    expect(codes(await check(sql, dialect, { schema: undefined }))).toContain('SENSITIVE_CATALOG');
  });

  it('allows the catalog relations that describe tables and columns only', async () => {
    for (const [dialect, sql] of [
      ['postgresql', "SELECT column_name FROM information_schema.columns WHERE table_name = 'customer'"],
      ['mysql', 'SELECT table_name FROM information_schema.tables'],
      ['sqlite', "SELECT sql FROM sqlite_master WHERE name = 'customer'"],
    ] as const) {
      expect({ sql, ...(await check(sql, dialect, { schema: undefined })) }).toMatchObject({ sql, ok: true });
    }
  });

  it.each<[SqlDialect, string]>([
    ['postgresql', "SELECT repeat('x', 1000000000)"],
    ['postgresql', "SELECT lpad('x', 1000000000, 'y')"],
    ['postgresql', 'SELECT rpad(first_name, 2000000) FROM customer'],
    ['postgresql', "SELECT repeat('x', total::int) FROM invoice"],
    ['postgresql', "SELECT format('%1000000000s', 'x')"],
    ['postgresql', "SELECT format('%*s', 1000000000, 'x')"],
    ['postgresql', "SELECT repeat(repeat('x', 10000), 10000)"],
    ['mysql', 'SELECT space(1000000000)'],
    ['mysql', "SELECT repeat('x', 1e9)"],
    ['sqlite', "SELECT printf('%.*c', 1e9, 'x')"],
    ['sqlite', "SELECT printf('%.1000000000c', 'x')"],
    ['sqlite', "SELECT format('%1000000000d', 1)"],
    ['sqlite', "SELECT replace(replace(replace('xx', 'x', 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx'), 'x', 'xxxxxxxxxx')"],
    ['sqlite', 'SELECT hex(zeroblob(1000000000))'],
    ['sqlite', 'SELECT randomblob(first_name) FROM customer'],
  ])('%s: bounds the size of %s', async (dialect, sql) => {
    const result = await check(sql, dialect, { schema: undefined });
    expect(result.ok).toBe(false);
    expect(codes(result)).toContain('SIZE_LIMIT');
  });

  it('lets the ordinary uses of the same functions through', async () => {
    for (const [dialect, sql] of [
      [
        'postgresql',
        "SELECT lpad(customer_id::text, 6, '0'), repeat('-', 10), format('%s, %s', last_name, first_name) FROM customer",
      ],
      ['postgresql', "SELECT replace(replace(country, ',', ''), '$', '') FROM customer"],
      ['mysql', "SELECT CONCAT(first_name, SPACE(1), last_name), LPAD(customer_id, 5, '0') FROM customer"],
      ['sqlite', "SELECT printf('%.2f', customer_id * 1.0), printf('%05d', customer_id) FROM customer"],
      ['sqlite', "SELECT replace(first_name, ' ', '_') FROM customer"],
    ] as const) {
      expect({ sql, ...(await check(sql, dialect)) }).toMatchObject({ sql, ok: true, errors: [] });
    }
  });
});

describe('issue 11.4: size limits, a linear lexer, off the event loop with a deadline', () => {
  const ones = (n: number) => `SELECT ${Array(n).fill('1').join(',')}`;
  const ors = (n: number) =>
    `SELECT first_name FROM customer WHERE ${Array.from({ length: n }, (_, i) => `customer_id = ${i}`).join(' OR ')}`;

  it.each([
    ['a 30 KB SELECT 1,1,...', ones(15_000), 'maxLength'],
    ['30,000 nested parentheses', `SELECT ${'('.repeat(30_000)}1${')'.repeat(30_000)}`, 'maxLength'],
    ['5,000 ORs', ors(5_000), 'maxLength'],
    ['100,000 characters', `SELECT first_name FROM customer WHERE country = '${'x'.repeat(99_950)}'`, 'maxLength'],
    ['2,000 tokens in 4 KB', ones(1_000), 'maxTokens'],
    ['400 ORs', ors(400), 'maxTokens'],
    ['25 nested parentheses', `SELECT ${'('.repeat(25)}1${')'.repeat(25)}`, 'maxDepth'],
    ['25 nested CASEs', `SELECT ${'CASE WHEN true THEN '.repeat(25)}1${' END'.repeat(25)}`, 'maxDepth'],
    ['30 NOTs in a row', `SELECT ${'NOT '.repeat(30)}true`, 'maxDepth'],
  ])('refuses %s quickly with 400 SQL_TOO_COMPLEX naming the limit', async (_what, sql, limit) => {
    const started = performance.now();
    const refusal = await check(sql).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(SqlTooComplexError);
    expect(refusal).toMatchObject({ status: 400, code: 'SQL_TOO_COMPLEX', message: expect.stringContaining(limit) });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('accepts the same shapes at the sizes analytic SQL has', async () => {
    expect((await check(ors(100))).ok).toBe(true);
    expect((await check(ones(500))).ok).toBe(true);
    expect((await check(`SELECT ${'('.repeat(10)}1${')'.repeat(10)}`)).ok).toBe(true);
  });

  it('lexes in linear time (one long line used to cost a slice from the line start per token)', () => {
    const line = (n: number) => `SELECT ${Array(n).fill('a1').join(',')}`;
    lexSql(line(1_000), 'postgresql', false);
    // Eight times the text: about eight times the time when linear, 64 times when quadratic.
    const time = (n: number) => {
      const started = performance.now();
      expect(lexSql(line(n), 'postgresql', false).tokens.length).toBe(2 * n);
      return performance.now() - started;
    };
    const small = Math.max(time(5_000), 5);
    const large = time(40_000);
    expect(large).toBeLessThan(2_000);
    expect(large / small).toBeLessThan(24);
  });

  it('refuses, rather than fails, when a check cannot be run in a worker', async () => {
    const options = {
      dialect: 'postgresql',
      schema: { tables: [{ name: () => 'customer' }] },
    } as unknown as GuardOptions;
    expect(await guard.check('SELECT 1', options)).toMatchObject({
      ok: false,
      errors: [expect.objectContaining({ code: 'GUARD_ERROR' })],
    });
  });

  it('gives up on a check past its deadline with SQL_TOO_COMPLEX, replaces the worker and goes on', async () => {
    const hasty = new SqlGuard({ timeoutMs: 150, maxThreads: 1 });
    try {
      const huge = { dialect: 'postgresql' as const, limits: { maxLength: 200_000, maxTokens: 100_000 } };
      await hasty.check('SELECT 1', { dialect: 'postgresql' });
      const refusal = await hasty.check(ones(15_000), huge).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refusal).toMatchObject({ code: 'SQL_TOO_COMPLEX', message: expect.stringContaining('timeout') });
      expect(await hasty.check('SELECT 1', { dialect: 'postgresql' })).toMatchObject({ ok: true });
      expect(hasty.threads).toBe(1);
    } finally {
      await hasty.close();
    }
  });
});
