import { ExampleRetriever } from '@sluice/examples';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChinookPostgres } from './helpers/chinook';
import { seed } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { dropDatabase, testVariables } from './helpers/test-env';

interface Fixture {
  examples: Array<{ key: string; question: string; sql: string; tags: string[] }>;
  paraphrases: Array<{ question: string; expected: string }>;
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'chinook-examples.json'), 'utf8')) as Fixture;

describe('examples (e2e)', () => {
  const chinookUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_examples_');
  const folder = mkdtempSync(join(tmpdir(), 'sluice-examples-'));
  let t: TestApp;
  let admin: string;
  let editor: string;
  let viewer: string;
  let globex: string;
  let tenantId: string;
  let connectorId: string;
  let folderConnectorId: string;

  const create = (body: Record<string, unknown>, token = editor) => t.http.post('/api/v1/examples', body, { token });
  const list = (query: string, token = viewer) => t.http.get(`/api/v1/examples${query}`, { token });

  beforeAll(async () => {
    await loadChinookPostgres(chinookUrl);
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', FOLDER_ALLOWED_ROOTS: folder });
    const seeded = await seed(t);
    admin = seeded.tenant.admin.token;
    tenantId = seeded.tenant.id;
    editor = seeded.tenant.editor.token;
    viewer = seeded.tenant.viewer.token;
    globex = seeded.other.admin.token;

    const pg = await t.http.post(
      '/api/v1/connectors',
      {
        name: 'Chinook',
        type: 'postgresql',
        config: {
          host: '127.0.0.1',
          port: 5432,
          database: new URL(chinookUrl).pathname.slice(1),
          user: 'postgres',
          ssl: { mode: 'disable' },
        },
        authConfig: { password: 'unused' },
      },
      { token: admin },
    );
    expect(pg.status).toBe(201);
    connectorId = pg.body.id;
    const files = await t.http.post(
      '/api/v1/connectors',
      { name: 'Files', type: 'folder', config: { path: folder } },
      { token: admin },
    );
    expect(files.status).toBe(201);
    folderConnectorId = files.body.id;
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await dropDatabase(chinookUrl);
    rmSync(folder, { recursive: true, force: true });
  });

  it('creates, reads, changes and deletes an example, taking the dialect from the connector', async () => {
    const created = await create({
      question: '  Which artists have the most albums? ',
      sql: 'SELECT ar.name, COUNT(*) AS n FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY n DESC',
      tags: ['Artists', 'ranking', 'artists '],
      connectorId,
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^ex_[0-9a-z]{16}$/),
      question: 'Which artists have the most albums?',
      sql: expect.stringContaining('FROM artist ar'),
      dialect: 'postgresql',
      tags: ['artists', 'ranking'],
      connectorId,
      createdBy: expect.stringMatching(/^usr_/),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      warnings: [],
    });
    const id = created.body.id;

    const got = await t.http.get(`/api/v1/examples/${id}`, { token: viewer });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...created.body, warnings: undefined, updatedAt: expect.any(String) });
    expect(got.body).not.toHaveProperty('warnings');

    const changed = await t.http.put(
      `/api/v1/examples/${id}`,
      { question: 'Top artists by album count', tags: ['top'] },
      { token: editor },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ question: 'Top artists by album count', tags: ['top'], warnings: [] });
    expect(changed.body.sql).toBe(created.body.sql);

    const detached = await t.http.put(`/api/v1/examples/${id}`, { connectorId: null }, { token: editor });
    expect(detached.status).toBe(200);
    expect(detached.body).toMatchObject({ connectorId: null, dialect: 'postgresql', warnings: [] });
    const mysql = await t.http.put(
      `/api/v1/examples/${id}`,
      { dialect: 'mysql', sql: 'SELECT `name` FROM artist LIMIT 3' },
      { token: editor },
    );
    expect(mysql.status).toBe(200);
    expect(mysql.body.dialect).toBe('mysql');
    // Back onto the PostgreSQL connector without a dialect: the connector's comes with it.
    const reattached = await t.http.put(
      `/api/v1/examples/${id}`,
      { connectorId, sql: 'SELECT name FROM artist LIMIT 3' },
      { token: editor },
    );
    expect(reattached.status).toBe(200);
    expect(reattached.body).toMatchObject({ connectorId, dialect: 'postgresql' });

    expect((await t.http.delete(`/api/v1/examples/${id}`, { token: editor })).status).toBe(204);
    const gone = await t.http.get(`/api/v1/examples/${id}`, { token: viewer });
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('EXAMPLE_NOT_FOUND');
    expect((await t.http.delete(`/api/v1/examples/${id}`, { token: editor })).status).toBe(404);
  });

  it('refuses SQL that does not parse, with the line and column, on create and update', async () => {
    const res = await create({ question: 'Broken', sql: 'SELECT name\nFROM artist\nWHERE name = ', connectorId });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('SQL_PARSE_ERROR');
    expect(res.body.error).toMatch(/line 3, column \d+/);
    expect(res.body.details).toEqual([
      { field: 'sql', messages: [expect.any(String)], line: 3, column: expect.any(Number) },
    ]);

    const typo = await create({ question: 'Typo', sql: 'SELEC name FROM artist', dialect: 'postgresql' });
    expect(typo.status).toBe(400);
    expect(typo.body.code).toBe('SQL_PARSE_ERROR');
    expect(typo.body.details[0]).toMatchObject({ line: 1, column: expect.any(Number) });

    const ok = await create({ question: 'Fine', sql: 'SELECT 1', dialect: 'postgresql' });
    const update = await t.http.put(`/api/v1/examples/${ok.body.id}`, { sql: 'SELECT 1 +' }, { token: editor });
    expect(update.status).toBe(400);
    expect(update.body.details[0]).toMatchObject({ line: 1, column: 11 });
    expect((await t.http.get(`/api/v1/examples/${ok.body.id}`, { token: editor })).body.sql).toBe('SELECT 1');
    await t.http.delete(`/api/v1/examples/${ok.body.id}`, { token: editor });
  });

  it('refuses more than one statement, and SQL with none', async () => {
    const two = await create({ question: 'Two', sql: 'SELECT 1; SELECT 2', dialect: 'postgresql' });
    expect(two.status).toBe(400);
    expect(two.body.code).toBe('SQL_MULTIPLE_STATEMENTS');
    const sneaky = await create({ question: 'Sneaky', sql: 'SELECT * FROM artist; DROP TABLE artist', connectorId });
    expect(sneaky.status).toBe(400);
    expect(sneaky.body.code).toBe('SQL_MULTIPLE_STATEMENTS');
    const none = await create({ question: 'None', sql: '-- nothing here', dialect: 'postgresql' });
    expect(none.status).toBe(400);
    expect(['SQL_EMPTY', 'SQL_PARSE_ERROR']).toContain(none.body.code);
    // A trailing semicolon is still one statement.
    const one = await create({ question: 'One', sql: 'SELECT 1;', dialect: 'postgresql' });
    expect(one.status).toBe(201);
    await t.http.delete(`/api/v1/examples/${one.body.id}`, { token: editor });
  });

  it("saves SQL naming tables or columns the connector's schema lacks, with warnings", async () => {
    const table = await create({
      question: 'Songs per year',
      sql: 'SELECT s.year, COUNT(*) FROM songs s JOIN album a ON a.album_id = s.album_id GROUP BY s.year',
      connectorId,
    });
    expect(table.status).toBe(201);
    expect(table.body.warnings).toEqual(['Unknown table "songs"']);

    const column = await create({
      question: 'Albums with their year',
      sql: 'SELECT a.title, a.release_year FROM album a JOIN artist USING (artist_id) WHERE name LIKE $$A%$$ AND rating > 3',
      connectorId,
    });
    expect(column.status).toBe(201);
    expect(column.body.warnings).toEqual(['Unknown column "release_year" in table "album"', 'Unknown column "rating"']);

    // Case and schema qualification do not matter; CTE names and aliases are not tables.
    const fine = await create({
      question: 'Big spenders',
      sql: 'WITH spend AS (SELECT Customer_Id, SUM(Total) AS s FROM PUBLIC.Invoice GROUP BY customer_id) SELECT c.email, spend.s FROM spend JOIN customer c USING (customer_id)',
      connectorId,
    });
    expect(fine.status).toBe(201);
    expect(fine.body.warnings).toEqual([]);

    // The warnings of an update are those of the new SQL.
    const fixed = await t.http.put(
      `/api/v1/examples/${table.body.id}`,
      { sql: 'SELECT t.name FROM track t' },
      { token: editor },
    );
    expect(fixed.body.warnings).toEqual([]);
    for (const id of [table.body.id, column.body.id, fine.body.id]) {
      await t.http.delete(`/api/v1/examples/${id}`, { token: editor });
    }
  });

  it('holds the dialect and connector rules', async () => {
    const noDialect = await create({ question: 'q', sql: 'SELECT 1' });
    expect(noDialect.status).toBe(400);
    expect(noDialect.body.code).toBe('VALIDATION_FAILED');
    expect(noDialect.body.details).toEqual([{ field: 'dialect', messages: [expect.stringContaining('required')] }]);

    const mismatch = await create({ question: 'q', sql: 'SELECT 1', dialect: 'mysql', connectorId });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.code).toBe('DIALECT_MISMATCH');
    expect(mismatch.body.details[0].field).toBe('dialect');

    const unknownDialect = await create({ question: 'q', sql: 'SELECT 1', dialect: 'oracle' });
    expect(unknownDialect.status).toBe(400);
    expect(unknownDialect.body.details[0].field).toBe('dialect');

    const missing = await create({ question: 'q', sql: 'SELECT 1', connectorId: 'conn_doesnotexist00' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('CONNECTOR_NOT_FOUND');

    const notSql = await create({ question: 'q', sql: 'SELECT 1', connectorId: folderConnectorId });
    expect(notSql.status).toBe(400);
    expect(notSql.body.code).toBe('CONNECTOR_NOT_SQL');

    // Dialect-specific syntax: arrays parse as PostgreSQL, not as SQLite.
    const sql = 'SELECT track_id FROM track WHERE genre_id = ANY(ARRAY[1, 2])';
    expect((await create({ question: 'q', sql, dialect: 'sqlite' })).status).toBe(400);
    const pg = await create({ question: 'q', sql, dialect: 'postgresql' });
    expect(pg.status).toBe(201);
    await t.http.delete(`/api/v1/examples/${pg.body.id}`, { token: editor });

    for (const body of [
      { question: '', sql: 'SELECT 1', dialect: 'postgresql' },
      { question: 'q', sql: '', dialect: 'postgresql' },
      { question: 'q', sql: 'SELECT 1', dialect: 'postgresql', tags: 'one' },
      { question: 'q', sql: 'SELECT 1', dialect: 'postgresql', tags: ['$bad'] },
      { question: 'q', sql: 'SELECT 1', dialect: 'postgresql', surprise: true },
    ]) {
      const bad = await create(body);
      expect({ body, status: bad.status }).toEqual({ body, status: 400 });
    }
  });

  it('saves every Chinook fixture example without a warning, and retrieves them through PostgreSQL', async () => {
    const ids = new Map<string, string>();
    for (const example of fixture.examples) {
      const res = await create({ question: example.question, sql: example.sql, tags: example.tags, connectorId });
      expect({ key: example.key, status: res.status, warnings: res.body.warnings }).toEqual({
        key: example.key,
        status: 201,
        warnings: [],
      });
      ids.set(res.body.id, example.key);
    }
    // Examples of no connector in PostgreSQL count too; another dialect's or another tenant's do not.
    const generic = await create({
      question: 'Which tracks are the longest ones?',
      sql: 'SELECT 1',
      dialect: 'postgresql',
    });
    const mysql = await create({ question: 'Which tracks are the longest ones?', sql: 'SELECT 1', dialect: 'mysql' });
    const retriever = t.app.get(ExampleRetriever);
    let hits = 0;
    for (const p of fixture.paraphrases) {
      const [best] = await retriever.findSimilar(tenantId, p.question, { connectorId, k: 1 });
      if (best && ids.get(best.example.id) === p.expected) hits += 1;
    }
    console.log(`findSimilar through PostgreSQL: top-1 ${hits}/${fixture.paraphrases.length}`);
    expect(hits).toBe(fixture.paraphrases.length);

    const longest = await retriever.findSimilar(tenantId, 'Which tracks are the longest ones?', { connectorId, k: 40 });
    const found = longest.map((r) => r.example.id);
    expect(found).toContain(generic.body.id);
    expect(found).not.toContain(mysql.body.id);
    expect(found[0]).toBe(generic.body.id);

    const exact = await retriever.findExact(tenantId, 'which ARTISTS have the most albums', { connectorId });
    expect(exact && ids.get(exact.id)).toBe('artists-most-albums');
    expect(await retriever.findExact(tenantId, 'Which artists have the fewest albums?', { connectorId })).toBeNull();
    await expect(retriever.findSimilar(tenantId, 'albums', { connectorId: 'conn_doesnotexist00' })).rejects.toThrow(
      'Connector not found',
    );
    for (const res of [generic, mysql]) await t.http.delete(`/api/v1/examples/${res.body.id}`, { token: editor });
  });

  it('filters by connector, tag and q (question or SQL, case-insensitive)', async () => {
    const own = await create({
      question: 'Invoices of 2013',
      sql: 'SELECT * FROM invoice',
      tags: ['Audit'],
      dialect: 'postgresql',
    });
    const byTag = await list('?tag=AUDIT&limit=100');
    expect(byTag.body.data.map((e: { id: string }) => e.id)).toEqual([own.body.id]);

    const byConnector = await list(`?connectorId=${connectorId}&limit=100`);
    expect(byConnector.body.pagination.total).toBe(fixture.examples.length);
    expect(byConnector.body.data.every((e: { connectorId: string }) => e.connectorId === connectorId)).toBe(true);

    const byQuestion = await list('?q=BILLING%20COUNTRY&limit=100');
    expect(byQuestion.body.data.map((e: { question: string }) => e.question)).toEqual([
      'What are the total sales by billing country?',
    ]);
    // Matches the SQL too: only the example over media_type has that name in it.
    const bySql = await list('?q=Media_Type_Id');
    expect(bySql.body.data.map((e: { question: string }) => e.question)).toEqual([
      'Which media types are used by the most tracks?',
    ]);
    // LIKE wildcards in q are literal.
    expect((await list('?q=%25')).body.pagination.total).toBe(0);
    const combined = await list(`?connectorId=${connectorId}&tag=ranking&q=artist`);
    expect(combined.body.data.map((e: { question: string }) => e.question).sort()).toEqual([
      'Which artists generated the most sales revenue?',
      'Which artists have the most albums?',
    ]);
    expect((await list('?connectorId=conn_doesnotexist00')).body.data).toEqual([]);
    await t.http.delete(`/api/v1/examples/${own.body.id}`, { token: editor });

    for (const query of ['?limit=0', '?limit=101', '?cursor=garbage', '?unknown=1']) {
      expect({ query, status: (await list(query)).status }).toEqual({ query, status: 400 });
    }
  });

  it('pages with cursors through every example exactly once, newest first', async () => {
    const all = await list('?limit=100');
    const total = all.body.pagination.total;
    expect(total).toBeGreaterThanOrEqual(fixture.examples.length);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.pagination).toMatchObject({ total, limit: 7 });
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
      cursor = page.body.pagination.nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(pages).toBe(Math.ceil(total / 7));
    expect(seen).toEqual(all.body.data.map((e: { id: string }) => e.id));
    expect(new Set(seen).size).toBe(total);
  });

  it('lets a viewer read but not write', async () => {
    const [some] = (await list('?limit=1')).body.data;
    expect((await t.http.get(`/api/v1/examples/${some.id}`, { token: viewer })).status).toBe(200);
    const denied = await create({ question: 'q', sql: 'SELECT 1', dialect: 'postgresql' }, viewer);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('FORBIDDEN');
    expect((await t.http.put(`/api/v1/examples/${some.id}`, { question: 'x' }, { token: viewer })).status).toBe(403);
    expect((await t.http.delete(`/api/v1/examples/${some.id}`, { token: viewer })).status).toBe(403);
    expect((await t.http.get(`/api/v1/examples/${some.id}`, { token: viewer })).body.question).toBe(some.question);
    expect((await t.http.get('/api/v1/examples')).status).toBe(401);
  });

  it("gives another tenant a 404 on every route and an empty list, and refuses it this tenant's connector", async () => {
    const [some] = (await list('?limit=1')).body.data;
    for (const res of [
      await t.http.get(`/api/v1/examples/${some.id}`, { token: globex }),
      await t.http.put(`/api/v1/examples/${some.id}`, { question: 'mine now' }, { token: globex }),
      await t.http.delete(`/api/v1/examples/${some.id}`, { token: globex }),
      await t.http.post('/api/v1/examples', { question: 'q', sql: 'SELECT 1', connectorId }, { token: globex }),
    ]) {
      expect(res.status).toBe(404);
    }
    const theirs = await t.http.get('/api/v1/examples?limit=100', { token: globex });
    expect(theirs.body).toEqual({ data: [], pagination: { total: 0, limit: 100, hasMore: false, nextCursor: null } });
    expect((await t.http.get(`/api/v1/examples/${some.id}`, { token: viewer })).body.question).toBe(some.question);
    // Their own example, without a connector, stays theirs.
    const own = await t.http.post(
      '/api/v1/examples',
      { question: 'Globex only', sql: 'SELECT 1', dialect: 'sqlite' },
      { token: globex },
    );
    expect(own.status).toBe(201);
    expect((await t.http.get(`/api/v1/examples/${own.body.id}`, { token: viewer })).status).toBe(404);
    expect((await list('?q=Globex')).body.data).toEqual([]);
  });
});
