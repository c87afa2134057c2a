// The built-in dialects register when the connectors lib loads, as they do in the app.
import '@sluice/connectors';
import type { SqlDialect } from '@sluice/connectors';
import { loadPolyglot, polyglotDialect } from '@sluice/core';
import { lexicalCheck } from './lexical-rules';
import { tableInfo } from '../../../../test/helpers/table-info';
import { GuardOptions, GuardResult, SqlGuard } from './sql-guard';

const table = tableInfo;

const schema = {
  tables: [
    table('public', 'customer', ['customer_id', 'first_name', 'last_name', 'email', 'phone', 'country']),
    table('public', 'invoice', ['invoice_id', 'customer_id', 'total', 'invoice_date']),
    table('sales', 'orders', ['order_id', 'customer_id', 'amount']),
  ],
};
const pii = [
  { table: 'public.customer', column: 'email' },
  { table: 'public.customer', column: 'phone' },
];

const guard = new SqlGuard();
afterAll(() => guard.close());
const check = (sql: string, options: Partial<GuardOptions> = {}) =>
  guard.check(sql, { dialect: 'postgresql', ...options } as GuardOptions);
const codes = (r: GuardResult) => r.errors.map((e) => e.code);

/** The SQL handed out parses again as exactly one statement and passes the lexical rules. */
async function expectReparses(sql: string, dialect: SqlDialect): Promise<void> {
  const p = await loadPolyglot();
  const parsed = p.parse(sql, polyglotDialect(dialect));
  expect(parsed.success).toBe(true);
  expect(parsed.ast).toHaveLength(1);
  expect(lexicalCheck(sql, dialect, false).issues).toEqual([]);
}

describe('SqlGuard', () => {
  it('lists the tables a statement names, parsed in its worker pool', async () => {
    const refs = await guard.references(
      'SELECT a.title FROM album a JOIN artist r ON r.artist_id = a.artist_id WHERE a.album_id IN (SELECT album_id FROM track)',
      'postgresql',
    );
    expect(refs.tables.map((t) => t.name).sort()).toEqual(['album', 'artist', 'track']);
  });

  describe('LIMIT', () => {
    it.each<[SqlDialect, string, string]>([
      ['postgresql', 'SELECT a FROM t', 'SELECT a FROM t LIMIT 100'],
      ['postgresql', 'SELECT a FROM t LIMIT 10', 'SELECT a FROM t LIMIT 10'],
      [
        'postgresql',
        'SELECT a FROM t ORDER BY a LIMIT 100 OFFSET 20',
        'SELECT a FROM t ORDER BY a LIMIT 100 OFFSET 20',
      ],
      [
        'postgresql',
        'SELECT a FROM t UNION SELECT b FROM u ORDER BY 1',
        'SELECT a FROM t UNION SELECT b FROM u ORDER BY 1 LIMIT 100',
      ],
      [
        'postgresql',
        'WITH x AS (SELECT a FROM t) SELECT * FROM x',
        'WITH x AS (SELECT a FROM t) SELECT * FROM x LIMIT 100',
      ],
      ['postgresql', '(SELECT a FROM t)', '(SELECT a FROM t) LIMIT 100'],
      ['postgresql', 'SELECT a FROM t FETCH FIRST 5 ROWS ONLY', 'SELECT a FROM t FETCH FIRST 5 ROWS ONLY'],
      ['mysql', 'SELECT a FROM t', 'SELECT a FROM t LIMIT 100'],
      ['sqlite', 'SELECT a FROM t', 'SELECT a FROM t LIMIT 100'],
    ])('%s: %s → %s', async (dialect, sql, expected) => {
      const result = await check(sql, { dialect, maxRows: 100 });
      expect(result).toMatchObject({ ok: true, normalizedSql: expected, warnings: [] });
      await expectReparses(result.normalizedSql, dialect);
    });

    it.each<[SqlDialect, string, string, string]>([
      ['postgresql', 'SELECT a FROM t LIMIT 5000', 'SELECT a FROM t LIMIT 100', 'LIMIT 5000 lowered to LIMIT 100'],
      ['postgresql', 'SELECT a FROM t LIMIT ALL', 'SELECT a FROM t LIMIT 100', 'not a plain number'],
      ['postgresql', 'SELECT a FROM t LIMIT $1', 'SELECT a FROM t LIMIT 100', 'not a plain number'],
      [
        'postgresql',
        'SELECT a FROM t UNION ALL SELECT b FROM u LIMIT 101',
        'SELECT a FROM t UNION ALL SELECT b FROM u LIMIT 100',
        'LIMIT 101 lowered',
      ],
      [
        'postgresql',
        'SELECT a FROM t FETCH FIRST 500 ROWS ONLY',
        'SELECT a FROM t FETCH FIRST 100 ROWS ONLY',
        'FETCH FIRST 500 ROWS lowered',
      ],
      ['mysql', 'SELECT a FROM t LIMIT 20, 500', 'SELECT a FROM t LIMIT 100 OFFSET 20', 'LIMIT 500 lowered'],
      ['sqlite', 'SELECT a FROM t LIMIT -1', 'SELECT a FROM t LIMIT 100', 'not a plain number'],
    ])('%s: %s is lowered', async (dialect, sql, expected, warning) => {
      const result = await check(sql, { dialect, maxRows: 100 });
      expect(result).toMatchObject({ ok: true, normalizedSql: expected });
      expect(result.warnings).toEqual([
        expect.objectContaining({ code: 'LIMIT_LOWERED', message: expect.stringContaining(warning) }),
      ]);
      await expectReparses(result.normalizedSql, dialect);
    });

    it('leaves VALUES, EXPLAIN and statements without maxRows alone', async () => {
      expect((await check('VALUES (1), (2)', { maxRows: 1 })).normalizedSql).toBe('VALUES (1), (2)');
      expect((await check('EXPLAIN SELECT a FROM t', { maxRows: 1 })).normalizedSql).toBe('EXPLAIN SELECT a FROM t');
      expect((await check('SELECT a FROM t')).normalizedSql).toBe('SELECT a FROM t');
    });
  });

  describe('transpiling', () => {
    it('transpiles MySQL to PostgreSQL before checking', async () => {
      const result = await check("SELECT `first_name`, IFNULL(country, 'none') AS country FROM customer LIMIT 5, 10", {
        fromDialect: 'mysql',
        schema,
        maxRows: 100,
      });
      expect(result).toMatchObject({
        ok: true,
        dialect: 'postgresql',
        normalizedSql: 'SELECT "first_name", COALESCE(country, \'none\') AS country FROM customer LIMIT 10 OFFSET 5',
      });
    });

    it('reports a transpile failure, and never launders hostile input', async () => {
      expect(codes(await check('SELECT name FROM customer WHERE (a = 1', { fromDialect: 'mysql' }))).toEqual([
        'TRANSPILE_FAILED',
      ]);
      expect(codes(await check('SELECT SLEEP(5)', { fromDialect: 'mysql' }))).toContain('DANGEROUS_FUNCTION');
      expect(codes(await check('SELECT 1 /*! ; DROP TABLE t */', { fromDialect: 'mysql' }))).toContain(
        'EXECUTABLE_COMMENT',
      );
    });
  });

  describe('unknown tables and columns (with a schema)', () => {
    it('names the unknown column and lists the columns of its table, pii ones left out', async () => {
      const result = await check('SELECT customer.emial FROM customer', { schema, piiColumns: pii });
      expect(result.ok).toBe(false);
      expect(result.errors).toEqual([
        {
          code: 'UNKNOWN_COLUMN',
          message: 'Unknown column "customer.emial"; customer has: customer_id, first_name, last_name, country',
          line: 1,
          column: 8,
        },
      ]);
      const hinted = await check('SELECT c.contry FROM customer c', { schema });
      expect(hinted.errors[0].message).toBe(
        'Unknown column "c.contry"; c has: customer_id, first_name, last_name, email, phone, country (did you mean "country"?)',
      );
      const bare = await check('SELECT totl FROM invoice i JOIN customer c ON c.customer_id = i.customer_id', {
        schema,
      });
      expect(bare.errors[0].message).toMatch(
        /^Unknown column "totl"; tables in scope: i \(invoice_id, customer_id, total/,
      );
    });

    it('names an unknown table and one that needs its schema', async () => {
      expect((await check('SELECT * FROM custmer', { schema })).errors).toEqual([
        expect.objectContaining({
          code: 'UNKNOWN_TABLE',
          message: 'Unknown table "custmer"; known tables: customer, invoice, sales.orders (did you mean "customer"?)',
        }),
      ]);
      expect((await check('SELECT order_id FROM orders', { schema })).errors[0].message).toBe(
        'Table "orders" is not in the default schema; qualify it: sales.orders',
      );
      expect((await check('SELECT o.order_id FROM sales.orders o', { schema })).ok).toBe(true);
      expect((await check('SELECT x.a FROM customer', { schema })).errors[0]).toMatchObject({
        code: 'UNKNOWN_TABLE',
        message: 'Unknown table or alias "x" in "x.a"; in scope: customer',
      });
    });

    it('does not take CTE names, aliases, derived tables or output names for tables or columns', async () => {
      const sqls = [
        'WITH big AS (SELECT customer_id, SUM(total) AS spent FROM invoice GROUP BY customer_id) SELECT c.first_name, b.spent FROM big b JOIN customer c ON c.customer_id = b.customer_id ORDER BY spent DESC',
        'SELECT x.n FROM (SELECT country, COUNT(*) AS n FROM customer GROUP BY country) x WHERE x.n > 1',
        'SELECT first_name FROM customer c WHERE EXISTS (SELECT 1 FROM invoice i WHERE i.customer_id = c.customer_id AND total > 10)',
        'SELECT COUNT(*) AS n, country AS land FROM CUSTOMER GROUP BY land HAVING COUNT(*) > 1 ORDER BY n',
        'SELECT Public.Customer.First_Name FROM public.customer',
        'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r',
        'SELECT g.n FROM generate_series(1, 3) AS g(n)',
      ];
      for (const sql of sqls)
        expect({ sql, ...(await check(sql, { schema })) }).toMatchObject({ sql, ok: true, errors: [] });
      expect(
        codes(await check('WITH big AS (SELECT customer_id FROM invoice) SELECT b.total FROM big b', { schema })),
      ).toEqual(['UNKNOWN_COLUMN']);
    });

    it('checks nothing by name without a schema', async () => {
      expect(await check('SELECT whatever FROM nowhere')).toMatchObject({ ok: true, tables: ['nowhere'] });
    });
  });

  describe('pii columns', () => {
    it.each([
      'SELECT email FROM customer',
      'SELECT c.email FROM customer c',
      "SELECT first_name FROM customer WHERE email LIKE 'a%'",
      'SELECT i.total FROM invoice i JOIN customer c ON c.email = i.customer_id::text',
      'SELECT lower(phone) FROM customer',
      'SELECT first_name FROM customer ORDER BY email',
      'SELECT COUNT(DISTINCT email) FROM customer',
      'SELECT * FROM invoice WHERE customer_id IN (SELECT customer_id FROM customer WHERE phone IS NOT NULL)',
      'WITH x AS (SELECT email AS e FROM customer) SELECT e FROM x',
      'SELECT first_name AS email FROM customer WHERE email IS NOT NULL',
      'SELECT public.customer.email FROM public.customer',
      'SELECT row_to_json(c) FROM customer c',
      'SELECT to_jsonb(c.*) FROM customer c',
      'SELECT (c).email FROM customer c',
      'SELECT COUNT(*) FROM customer NATURAL JOIN invoice',
      'SELECT email FROM (SELECT * FROM customer) x',
      'SELECT email(c) FROM customer c',
      'SELECT j FROM customer c, LATERAL to_json(c) j',
      'SELECT customer FROM customer',
      'SELECT c1.first_name FROM customer c1 JOIN customer c2 USING (email)',
      'SELECT DISTINCT ON (phone) first_name FROM customer',
      'SELECT d FROM customer AS c(a, b, x, d)',
    ])('refuses %s', async (sql) => {
      for (const withSchema of [true, false]) {
        const result = await check(sql, { piiColumns: pii, ...(withSchema ? { schema } : {}) });
        expect({ sql, withSchema, codes: codes(result) }).toEqual({
          sql,
          withSchema,
          codes: expect.arrayContaining(['PII_COLUMN']),
        });
      }
    });

    it('spells out * and t.* without pii columns when the schema is known, and refuses them otherwise', async () => {
      const star = await check('SELECT * FROM customer', { schema, piiColumns: pii, maxRows: 10 });
      expect(star).toMatchObject({
        ok: true,
        normalizedSql:
          'SELECT customer."customer_id", customer."first_name", customer."last_name", customer."country" FROM customer LIMIT 10',
      });
      expect(star.warnings).toEqual([
        expect.objectContaining({
          code: 'STAR_REWRITTEN',
          message: expect.stringContaining('customer (email, phone)'),
        }),
      ]);
      const joined = await check('SELECT c.*, i.* FROM customer c JOIN invoice i USING (customer_id)', {
        schema,
        piiColumns: pii,
      });
      expect(joined.normalizedSql).toBe(
        'SELECT c."customer_id", c."first_name", c."last_name", c."country", i.* FROM customer AS c JOIN invoice AS i USING (customer_id)',
      );
      const all = await check('SELECT * FROM invoice i, customer c', { schema, piiColumns: pii });
      expect(all.normalizedSql).toBe(
        'SELECT i.*, c."customer_id", c."first_name", c."last_name", c."country" FROM invoice AS i, customer AS c',
      );
      const nested = await check('SELECT x.first_name FROM (SELECT * FROM customer) x', { schema, piiColumns: pii });
      expect(nested).toMatchObject({ ok: true });
      const renamed = await check('SELECT * FROM customer AS c(id, first, last)', { schema, piiColumns: pii });
      expect(renamed.normalizedSql).toBe(
        'SELECT c."id", c."first", c."last", c."country" FROM customer AS c(id, first, last)',
      );
      expect(codes(await check('SELECT * FROM customer', { piiColumns: pii }))).toEqual(['PII_COLUMN']);
      expect(codes(await check('SELECT c.* FROM customer c', { piiColumns: pii }))).toEqual(['PII_COLUMN']);
    });

    it('lets other columns, COUNT(*) and other tables through, and matches SQLite bare keys', async () => {
      for (const sql of [
        'SELECT first_name, country FROM customer',
        'SELECT COUNT(*) FROM customer',
        'SELECT * FROM invoice',
      ]) {
        expect((await check(sql, { schema, piiColumns: pii })).ok).toBe(true);
      }
      const sqlite = { tables: [table(null, 'Customer', ['CustomerId', 'Email'])] };
      const result = await check('SELECT Email FROM customer', {
        dialect: 'sqlite',
        schema: sqlite,
        piiColumns: [{ table: 'Customer', column: 'Email' }],
      });
      expect(codes(result)).toEqual(['PII_COLUMN']);
    });
  });

  describe('allowMutations', () => {
    it('refuses writes without it and lets INSERT, UPDATE, DELETE and MERGE through with it', async () => {
      const writes: Array<[string, string]> = [
        ['INSERT INTO invoice (invoice_id, total) VALUES (1, 2)', 'insert'],
        ['UPDATE invoice SET total = 0 WHERE invoice_id = 1', 'update'],
        ['DELETE FROM invoice WHERE invoice_id = 1', 'delete'],
        ['MERGE INTO invoice t USING invoice s ON t.invoice_id = s.invoice_id WHEN MATCHED THEN DELETE', 'merge'],
      ];
      for (const [sql, kind] of writes) {
        expect(codes(await check(sql, { schema }))).toContain('WRITE_NOT_ALLOWED');
        const allowed = await check(sql, { schema, allowMutations: true, maxRows: 5 });
        expect({ sql, ...allowed }).toMatchObject({ sql, ok: true, readOnly: false, statementKind: kind, errors: [] });
        expect(allowed.normalizedSql).not.toContain('LIMIT');
      }
    });

    it('still refuses DDL, dangerous functions, several statements and unknown columns', async () => {
      const ddl = await check('DROP TABLE invoice', { allowMutations: true });
      expect(ddl.errors[0]).toMatchObject({
        code: 'STATEMENT_NOT_ALLOWED',
        message: expect.stringContaining('(or INSERT, UPDATE, DELETE and MERGE, as mutations are allowed)'),
      });
      expect(ddl.statementKind).toBe('ddl');
      expect(codes(await check('UPDATE invoice SET total = pg_sleep(1)', { allowMutations: true }))).toContain(
        'DANGEROUS_FUNCTION',
      );
      expect(codes(await check('DELETE FROM invoice; DROP TABLE invoice', { allowMutations: true }))).toContain(
        'MULTIPLE_STATEMENTS',
      );
      expect(codes(await check('UPDATE invoice SET totl = 0', { allowMutations: true, schema }))).toEqual([
        'UNKNOWN_COLUMN',
      ]);
    });
  });

  describe('one statement', () => {
    it.each([
      'SELECT 1; SELECT 2',
      'SELECT 1; DELETE FROM t',
      'SELECT 1 -- ;\n; DROP TABLE t',
      'SELECT 1 /* comment */ ;\n/* another */ DROP TABLE t',
      'SELECT 1;\n-- trailing comment\nUPDATE t SET a = 1',
    ])('refuses %j', async (sql) => {
      expect(codes(await check(sql))).toContain('MULTIPLE_STATEMENTS');
    });

    it('accepts a trailing semicolon and trailing comments, and drops comments from what runs', async () => {
      const result = await check('SELECT a /* the a */ FROM t; -- done\n', { maxRows: 5 });
      expect(result).toMatchObject({ ok: true, normalizedSql: 'SELECT a FROM t LIMIT 5' });
    });

    it('refuses empty SQL and SQL that does not parse, with a position', async () => {
      expect(codes(await check(' -- nothing\n;'))).toEqual(['SQL_EMPTY']);
      const broken = await check('SELECT a FROM t WHERE (a = 1');
      expect(broken).toMatchObject({ ok: false, errors: [expect.objectContaining({ code: 'PARSE_ERROR', line: 1 })] });
    });
  });

  describe('EXPLAIN', () => {
    it('allows EXPLAIN of a query and refuses EXPLAIN ANALYZE and EXPLAIN of a write', async () => {
      expect(await check('EXPLAIN SELECT * FROM customer', { schema, maxRows: 10 })).toMatchObject({
        ok: true,
        statementKind: 'explain',
        readOnly: true,
        normalizedSql: 'EXPLAIN SELECT * FROM customer',
      });
      expect(codes(await check('EXPLAIN ANALYZE SELECT * FROM customer'))).toContain('EXPLAIN_ANALYZE');
      expect(codes(await check('EXPLAIN (ANALYZE) SELECT 1'))).toContain('EXPLAIN_ANALYZE');
      expect((await check('EXPLAIN DELETE FROM customer')).ok).toBe(false);
      expect((await check('EXPLAIN DELETE FROM customer', { allowMutations: true })).ok).toBe(false);
    });
  });

  describe('the result', () => {
    it('names the tables as written, CTEs left out, and the position of a refusal', async () => {
      const result = await check('WITH x AS (SELECT * FROM sales.orders) SELECT * FROM x JOIN customer c ON true');
      expect(result).toMatchObject({
        ok: true,
        statementKind: 'select',
        readOnly: true,
        tables: ['sales.orders', 'customer'],
      });
      const refused = await check('SELECT a,\n  pg_sleep(1) FROM t');
      expect(refused.errors[0]).toEqual({
        code: 'DANGEROUS_FUNCTION',
        message: 'Function pg_sleep() is not allowed',
        line: 2,
        column: 3,
      });
      expect(refused.normalizedSql).toBe('SELECT a,\n  pg_sleep(1) FROM t');
    });
  });
});
