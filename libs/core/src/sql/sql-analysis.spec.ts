import '@sluice/connectors';
import { tableInfo } from '../../../../test/helpers/table-info';
import { BadRequestError } from '../errors/domain-error';
import type { SchemaSnapshot, TableInfo } from './schema-snapshot';
import { assertSingleStatement, extractReferences, SqlReferences, unknownReferences } from './sql-analysis';

const table = (name: string, columns: string[], schema: string | null = 'public'): TableInfo =>
  tableInfo(schema, name, columns);

const CHINOOK: SchemaSnapshot = {
  dialect: 'postgresql',
  database: 'chinook',
  catalogQueries: 3,
  tables: [
    table('artist', ['artist_id', 'name']),
    table('album', ['album_id', 'title', 'artist_id']),
    table('track', ['track_id', 'name', 'album_id', 'genre_id', 'milliseconds', 'unit_price']),
    table('genre', ['genre_id', 'name']),
    table('invoice', ['invoice_id', 'customer_id', 'invoice_date', 'total', 'billing_country']),
    table('customer', ['customer_id', 'first_name', 'last_name', 'country']),
  ],
};

async function failure(sql: string, dialect: 'postgresql' | 'mysql' | 'sqlite' = 'postgresql') {
  try {
    await assertSingleStatement(sql, dialect);
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return e as BadRequestError;
  }
  throw new Error(`expected ${JSON.stringify(sql)} to be refused`);
}

const names = (refs: SqlReferences) => ({
  tables: refs.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)).sort(),
  columns: refs.columns.map((c) => `${c.table ? c.table.name : '?'}.${c.column}`).sort(),
});

describe('assertSingleStatement', () => {
  it.each([
    ['postgresql', 'SELECT a.title FROM album a WHERE a.title ILIKE $$%rock%$$'],
    ['postgresql', 'SELECT 1;'],
    ['mysql', 'SELECT `Name` FROM `Artist` LIMIT 3'],
    ['sqlite', "SELECT strftime('%Y', invoice_date) AS y, SUM(total) FROM invoice GROUP BY 1"],
    ['postgresql', 'WITH t AS (SELECT 1 AS x) SELECT x FROM t'],
  ] as const)('accepts one %s statement: %s', async (dialect, sql) => {
    await expect(assertSingleStatement(sql, dialect)).resolves.toBeUndefined();
  });

  it('gives the line and column of a parse error, in the message and in details', async () => {
    const error = await failure('SELECT name\nFROM artist\nWHERE name = ');
    expect(error.code).toBe('SQL_PARSE_ERROR');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/line 3, column \d+/);
    expect(error.details).toEqual([
      { field: 'sql', messages: [expect.any(String)], line: 3, column: expect.any(Number) },
    ]);
  });

  it('refuses what parse() lets through but is no statement, with a position', async () => {
    const error = await failure('SELEC name FROM artist');
    expect(error.code).toBe('SQL_PARSE_ERROR');
    expect(error.details?.[0]).toMatchObject({ line: 1, column: expect.any(Number) });
  });

  it.each([['SELECT 1; SELECT 2'], ['SELECT 1;\nDROP TABLE artist;'], ['SELECT 1; SELECT 2; SELECT 3']])(
    'refuses several statements: %s',
    async (sql) => {
      const error = await failure(sql);
      expect(error.code).toBe('SQL_MULTIPLE_STATEMENTS');
    },
  );

  it.each([[';'], ['-- only a comment']])('refuses SQL with no statement: %p', async (sql) => {
    expect(['SQL_EMPTY', 'SQL_PARSE_ERROR']).toContain((await failure(sql)).code);
  });

  it('parses in the dialect it is given: arrays are PostgreSQL, not SQLite', async () => {
    const sql = 'SELECT track_id FROM track WHERE genre_id = ANY(ARRAY[1, 2])';
    await expect(assertSingleStatement(sql, 'postgresql')).resolves.toBeUndefined();
    const error = await failure(sql, 'sqlite');
    expect(error.code).toBe('SQL_PARSE_ERROR');
    expect(error.message).toContain('as sqlite');
  });
});

describe('extractReferences', () => {
  it('resolves aliases to their tables', async () => {
    const refs = await extractReferences(
      'SELECT a.title, ar.name FROM album a JOIN artist ar ON ar.artist_id = a.artist_id WHERE a.title LIKE $$A%$$',
      'postgresql',
    );
    expect(names(refs)).toEqual({
      tables: ['album', 'artist'],
      columns: ['album.artist_id', 'album.title', 'artist.artist_id', 'artist.name'],
    });
  });

  it('leaves CTE names out of the tables but keeps what their bodies read', async () => {
    const refs = await extractReferences(
      `WITH spend AS (SELECT customer_id, SUM(total) AS s, MAX(billing_country) AS bc FROM invoice GROUP BY customer_id)
       SELECT c.first_name, spend.s FROM spend JOIN customer c ON c.customer_id = spend.customer_id`,
      'postgresql',
    );
    expect(names(refs).tables).toEqual(['customer', 'invoice']);
    expect(names(refs).columns).toEqual(
      expect.arrayContaining([
        'invoice.total',
        'invoice.billing_country',
        'invoice.customer_id',
        'customer.first_name',
      ]),
    );
    expect(refs.columns.some((c) => c.table?.name === 'spend')).toBe(false);
  });

  it('does not take a CTE referring to an earlier CTE for a table', async () => {
    const refs = await extractReferences(
      'WITH a AS (SELECT artist_id FROM artist), b AS (SELECT artist_id FROM a) SELECT * FROM b',
      'postgresql',
    );
    expect(names(refs).tables).toEqual(['artist']);
  });

  it('keeps a schema qualifier', async () => {
    const refs = await extractReferences('SELECT t.name FROM public.track t', 'postgresql');
    expect(refs.tables).toEqual([{ schema: 'public', name: 'track' }]);
    expect(refs.columns).toEqual([{ table: { schema: 'public', name: 'track' }, column: 'name' }]);
  });

  it('resolves columns in subqueries, set operations and derived tables', async () => {
    const refs = await extractReferences(
      `SELECT x FROM (SELECT name AS x FROM genre) g
       UNION SELECT c.last_name FROM customer c WHERE EXISTS (SELECT 1 FROM invoice i WHERE i.customer_id = c.customer_id)`,
      'postgresql',
    );
    expect(names(refs)).toEqual({
      tables: ['customer', 'genre', 'invoice'],
      columns: ['customer.customer_id', 'customer.last_name', 'genre.name', 'invoice.customer_id'],
    });
  });

  it('marks unqualified columns of a join as unresolved', async () => {
    const refs = await extractReferences(
      'SELECT name, title FROM artist JOIN album ON artist.artist_id = album.artist_id',
      'postgresql',
    );
    expect(names(refs).columns).toEqual(['?.name', '?.title', 'album.artist_id', 'artist.artist_id']);
  });

  it('reads the tables of statements other than queries', async () => {
    const refs = await extractReferences("INSERT INTO artist (artist_id, name) VALUES (1, 'x')", 'postgresql');
    expect(names(refs).tables).toEqual(['artist']);
  });
});

describe('unknownReferences', () => {
  const check = async (sql: string) => unknownReferences(await extractReferences(sql, 'postgresql'), CHINOOK);

  it('finds nothing wrong with a query over known tables and columns, in any case', async () => {
    expect(
      await check(
        'SELECT AR.Name, COUNT(*) AS n FROM Artist ar JOIN "album" al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY n DESC',
      ),
    ).toEqual([]);
    expect(await check('SELECT name, title FROM artist JOIN album USING (artist_id)')).toEqual([]);
    expect(await check('SELECT t.name FROM public.track t')).toEqual([]);
    expect(await check('WITH x AS (SELECT genre_id AS g FROM track) SELECT g FROM x')).toEqual([]);
  });

  it('names an unknown table once, and not its columns', async () => {
    expect(await check('SELECT s.title, s.year FROM songs s JOIN artist a ON a.artist_id = s.artist_id')).toEqual([
      'Unknown table "songs"',
    ]);
  });

  it('names an unknown column with its table', async () => {
    expect(await check('SELECT a.title, a.release_year FROM album a')).toEqual([
      'Unknown column "release_year" in table "album"',
    ]);
  });

  it('names an unknown unqualified column, and one inside a CTE body', async () => {
    expect(await check('SELECT name, rating FROM artist JOIN album USING (artist_id)')).toEqual([
      'Unknown column "rating"',
    ]);
    expect(await check('WITH x AS (SELECT bogus FROM genre) SELECT 1 FROM x')).toEqual([
      'Unknown column "bogus" in table "genre"',
    ]);
  });

  it('checks the schema of a qualified name', async () => {
    expect(await check('SELECT 1 FROM sales.invoice')).toEqual(['Unknown table "sales.invoice"']);
  });
});
