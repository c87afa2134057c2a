import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withinTime } from './helpers/eventually';
import { FakeOpenAi } from './helpers/fake-openai';
import { ChinookConnectors, createChinookConnectors, createTenant, inviteUser, SEED_OTHER } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { query } from './helpers/test-env';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const fence = (sql: string) => `Here is the query:\n\`\`\`sql\n${sql}\n\`\`\``;

/** Ten questions with the SQL a model would write on each engine, and the answer Chinook holds. */
const QUESTIONS = (
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'chinook-nl2sql-questions.json'), 'utf8')) as {
    questions: Array<{ question: string; pg: string; pascal: string; expect: unknown[][] }>;
  }
).questions;

/** Result cells as plain values: counts come back as strings from PostgreSQL (bigint). */
const plain = (rows: unknown[][]) =>
  rows.map((r) => r.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)));

describe('NL2SQL through the real LangChain OpenAI client and a scripted local model (e2e)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-nl2sql-'));
  const llm = new FakeOpenAi();
  let t: TestApp;
  let token: string;
  const ids: Record<string, string> = {};
  let chinook: ChinookConnectors | undefined;
  let pgUrl: string;

  const ask = (body: Record<string, unknown>, as = token) => t.http.post('/api/v1/nl2sql/query', body, { token: as });
  const user = async (email: string, role: 'editor' | 'viewer') =>
    (await inviteUser(t, token, role, { email, password: `${role}-passphrase` })).token;

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    await llm.start();
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', SQLITE_ALLOWED_DIRS: dir, NL2SQL_MAX_ATTEMPTS: '3' });
    token = await t.http.login(ADMIN.email, ADMIN.password);
    chinook = await createChinookConnectors(t, token, { sqliteDir: dir });
    ids.pg = chinook.ids.postgresql!;
    ids.maria = chinook.ids.mariadb!;
    ids.sqlite = chinook.ids.sqlite!;
    pgUrl = chinook.postgresUrl;
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await llm.stop();
    await chinook?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 LLM_NOT_CONFIGURED without a provider, while validate, execute and explain still work', async () => {
    const res = await ask({ connectorId: ids.pg, question: 'How many albums are there?' });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('LLM_NOT_CONFIGURED');
    expect(res.body.error).toMatch(/LLM_PROVIDER/);
    const validate = await t.http.post(
      '/api/v1/nl2sql/validate',
      { connectorId: ids.pg, sql: 'SELECT title FROM album' },
      { token },
    );
    expect(validate.body).toMatchObject({ ok: true, dialect: 'postgresql' });
    expect(validate.body.normalizedSql).toMatch(/LIMIT/i);
    const run = await t.http.post(
      '/api/v1/nl2sql/execute',
      { connectorId: ids.pg, sql: 'SELECT count(*) FROM album' },
      { token },
    );
    expect(plain(run.body.result.rows)).toEqual([[347]]);
    const explain = await t.http.post(
      '/api/v1/nl2sql/explain',
      {
        connectorId: ids.pg,
        sql: 'SELECT g.name, count(*) FROM track t JOIN genre g ON g.genre_id = t.genre_id WHERE t.milliseconds > 1000 GROUP BY g.name ORDER BY 2 DESC LIMIT 5',
      },
      { token },
    );
    expect(explain.body.source).toBe('structure');
    expect(explain.body.steps.map((s: { title: string }) => s.title)).toEqual(
      expect.arrayContaining(['Sources', 'Joins', 'Filters', 'Grouping', 'Ordering', 'Limit']),
    );
    const history = await t.http.get('/api/v1/history?ok=false', { token });
    expect(history.body.data[0]).toMatchObject({ question: 'How many albums are there?', ok: false });
  });

  it('sets the tenant LLM (key encrypted, never returned), admins only', async () => {
    const editor = await user('editor@acme.test', 'editor');
    expect((await t.http.get('/api/v1/settings/llm', { token: editor })).status).toBe(403);
    const put = await t.http.put(
      '/api/v1/settings/llm',
      { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, apiKey: 'sk-test-secret', timeoutMs: 5000 },
      { token },
    );
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ source: 'tenant', provider: 'openai', apiKeySet: true });
    expect(JSON.stringify(put.body)).not.toContain('sk-test-secret');
    const [row] = await query<{ api_key: string }>(t.env.DATABASE_URL!, 'SELECT api_key FROM llm_settings');
    expect(row.api_key).not.toContain('sk-test-secret');
  });

  it('refuses a new provider or baseUrl unless the API key is sent again (issue 11.3)', async () => {
    const settings = { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, timeoutMs: 5000 };
    const put = (body: Record<string, unknown>) => t.http.put('/api/v1/settings/llm', body, { token });
    for (const [moved, body] of [
      ['baseUrl', { ...settings, baseUrl: 'https://llm.attacker.example/v1' }],
      ['baseUrl', { ...settings, baseUrl: 'https://llm.attacker.example/v1', apiKey: '********' }],
      ['provider', { ...settings, provider: 'anthropic' }],
      ['baseUrl', { ...settings, baseUrl: null }],
    ] as const) {
      const res = await put(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('CREDENTIALS_REQUIRED');
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['apiKey', moved]);
    }
    const [before] = await query<{ base_url: string }>(t.env.DATABASE_URL!, 'SELECT base_url FROM llm_settings');
    expect(before.base_url).toBe(llm.baseUrl);
    // Same destination: the key is kept, omitted or masked.
    expect((await put({ ...settings, model: 'scripted', temperature: 0 })).status).toBe(200);
    expect((await put({ ...settings, apiKey: '********' })).body.apiKeySet).toBe(true);
    // The key resent, or removed: the new destination is accepted.
    const moved = await put({ ...settings, baseUrl: llm.rootUrl, apiKey: 'sk-test-secret' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ baseUrl: llm.rootUrl, apiKeySet: true });
    expect((await put({ ...settings, apiKey: null })).body.apiKeySet).toBe(false);
    expect((await put({ ...settings, apiKey: 'sk-test-secret' })).status).toBe(200);
  });

  it('sends an unknown column back to the model and succeeds on the second attempt', async () => {
    llm.reply(
      fence('SELECT nme FROM artist ORDER BY artist_id LIMIT 3'),
      fence('SELECT name FROM artist ORDER BY artist_id LIMIT 3'),
    );
    const res = await ask({ connectorId: ids.pg, question: 'Name the first three artists' });
    expect(res.status).toBe(200);
    expect(res.body.attempts).toHaveLength(2);
    expect(res.body.attempts[0]).toMatchObject({ index: 1, source: 'llm', validationOk: false });
    expect(res.body.attempts[1]).toMatchObject({ index: 2, validationOk: true, executionError: null });
    expect(res.body.result.rows).toEqual([['AC/DC'], ['Accept'], ['Aerosmith']]);
    expect(res.body.usage.promptTokens).toBeGreaterThan(0);
    const entry = await t.http.get(`/api/v1/history/${res.body.historyId}`, { token });
    expect(entry.body).toMatchObject({ ok: true, attempts: 2, usage: res.body.usage });
    // The model saw the guard's precise complaint, and the prompt named the schema it may use.
    const retry = JSON.stringify(llm.requests[1].messages);
    expect(retry).toContain('nme');
    expect(JSON.stringify(llm.requests[0].messages)).toMatch(/CREATE TABLE[^]*artist/i);
    expect(llm.requests[0].messages[0].content).toContain('only read data');
  });

  it('never runs DROP TABLE or a smuggled second statement, and gives up with 422 after the attempts', async () => {
    llm.reply(fence('DROP TABLE track'), fence('DROP TABLE track'), fence('DROP TABLE track'));
    const drop = await ask({ connectorId: ids.pg, question: 'Remove the tracks table' });
    expect(drop.status).toBe(422);
    expect(drop.body.code).toBe('NL2SQL_FAILED');
    expect(drop.body.details.at(-1).attempts).toHaveLength(3);
    expect((await query(pgUrl, 'SELECT count(*)::int AS n FROM track'))[0]).toEqual({ n: 3503 });

    llm.reply(...Array(3).fill(fence('SELECT 1; DELETE FROM track')));
    const smuggled = await ask({ connectorId: ids.pg, question: 'Count one' });
    expect(smuggled.status).toBe(422);
    const own = await t.http.post(
      '/api/v1/nl2sql/execute',
      { connectorId: ids.pg, sql: 'SELECT 1; DELETE FROM track' },
      { token },
    );
    expect(own.status).toBe(422);
    expect(own.body.code).toBe('SQL_REJECTED');
    expect((await query(pgUrl, 'SELECT count(*)::int AS n FROM track'))[0]).toEqual({ n: 3503 });
  });

  it('reports a slow model as a timeout, within the budget', async () => {
    await t.http.put(
      '/api/v1/settings/llm',
      { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, timeoutMs: 700 },
      { token },
    );
    llm.reply(
      { content: fence('SELECT 1'), delayMs: 10_000 },
      { content: fence('SELECT 1'), delayMs: 10_000 },
      { content: fence('SELECT 1'), delayMs: 10_000 },
    );
    try {
      // The bound is the point here (the budget holds), so it is kept, scaled by TEST_SLOWDOWN.
      const res = await withinTime(9_000, 'a question to a model slower than its timeout', () =>
        ask({ connectorId: ids.pg, question: 'Anything' }),
      );
      expect(res.status).toBe(504);
      expect(res.body.code).toBe('LLM_TIMEOUT');
      expect(res.body.error).toMatch(/did not answer in time|time budget/);
    } finally {
      // Later tests expect the usual timeout, whether or not this one passed.
      await t.http.put(
        '/api/v1/settings/llm',
        { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, timeoutMs: 5000 },
        { token },
      );
    }
  });

  it('retries the model on 429 and 5xx, and explains SQL in its words when it can', async () => {
    llm.reply({ status: 429 }, { status: 503 }, fence('SELECT count(*) FROM genre'));
    const res = await ask({ connectorId: ids.pg, question: 'How many genres exist?' });
    expect(res.status).toBe(200);
    expect(res.body.attempts).toHaveLength(1);
    expect(llm.requests).toHaveLength(3);
    const [usage] = await query<{ calls: number }>(
      t.env.DATABASE_URL!,
      'SELECT sum(calls)::int AS calls FROM llm_usage',
    );
    expect(usage.calls).toBeGreaterThan(0);

    llm.reply('{"markdown": "Counts the genres.", "steps": [{"title": "Sources", "body": "Reads genre."}]}');
    const explained = await t.http.post(
      '/api/v1/nl2sql/explain',
      { connectorId: ids.pg, sql: 'SELECT count(*) FROM genre' },
      { token },
    );
    expect(explained.body).toEqual({
      markdown: 'Counts the genres.',
      steps: [{ title: 'Sources', body: 'Reads genre.' }],
      source: 'llm',
    });
    llm.reply('I would rather not.');
    const fallback = await t.http.post(
      '/api/v1/nl2sql/explain',
      { connectorId: ids.pg, sql: 'SELECT count(*) FROM genre' },
      { token },
    );
    expect(fallback.body.source).toBe('structure');
  });

  it.each([
    ['anthropic', 'claude-scripted'],
    ['ollama', 'llama-scripted'],
  ])('asks through the %s provider as well', async (provider, model) => {
    await t.http.put('/api/v1/settings/llm', { provider, model, baseUrl: llm.rootUrl, apiKey: 'k' }, { token });
    llm.reply(fence('SELECT count(*) FROM media_type'));
    const res = await ask({ connectorId: ids.pg, question: 'How many media types are there?' });
    expect(res.status).toBe(200);
    expect(plain(res.body.result.rows)).toEqual([[5]]);
    expect(res.body.usage.completionTokens).toBeGreaterThan(0);
    expect(llm.requests[0].model).toBe(model);
    await t.http.put(
      '/api/v1/settings/llm',
      { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, apiKey: 'sk-test-secret', timeoutMs: 5000 },
      { token },
    );
  });

  it('refuses an LLM address the safe-network guard does not allow, before connecting', async () => {
    await t.http.put(
      '/api/v1/settings/llm',
      { provider: 'openai', model: 'm', baseUrl: 'http://10.1.2.3:8000/v1', apiKey: 'sk-test-secret' },
      { token },
    );
    const res = await ask({ connectorId: ids.pg, question: 'How many albums are there?' });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('LLM_UNREACHABLE');
    expect(res.body.error).toMatch(/refused/i);
    await t.http.put(
      '/api/v1/settings/llm',
      { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, apiKey: 'sk-test-secret', timeoutMs: 5000 },
      { token },
    );
  });

  it('reuses the SQL of an example asked the same way, without calling the model', async () => {
    const example = await t.http.post(
      '/api/v1/examples',
      { connectorId: ids.pg, question: 'How many playlists are there?', sql: 'SELECT count(*) FROM playlist' },
      { token },
    );
    expect(example.status).toBe(201);
    llm.reply();
    const res = await ask({ connectorId: ids.pg, question: 'how many playlists are there' });
    expect(res.status).toBe(200);
    expect(res.body.attempts).toEqual([expect.objectContaining({ source: 'example', validationOk: true })]);
    expect(res.body.examplesUsed).toEqual([example.body.id]);
    expect(plain(res.body.result.rows)).toEqual([[18]]);
    expect(llm.requests).toHaveLength(0);

    // The history entry is that example already: promoting it would only copy it.
    const entry = await t.http.get(`/api/v1/history/${res.body.historyId}`, { token });
    expect(entry.body.exampleId).toBe(example.body.id);
    const promoted = await t.http.post(`/api/v1/history/${res.body.historyId}/promote`, undefined, { token });
    expect(promoted.status).toBe(409);
    expect(promoted.body).toMatchObject({ code: 'HISTORY_ALREADY_PROMOTED' });
    expect(promoted.body.error).toContain(example.body.id);
    const copies = await t.http.get(`/api/v1/examples?connectorId=${ids.pg}&limit=100`, { token });
    expect(
      copies.body.data.filter((e: { question: string }) => e.question === 'How many playlists are there?'),
    ).toHaveLength(1);
  });

  it('says in warnings why an answer in words or a chart is missing', async () => {
    const scripted = { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, apiKey: 'sk-test-secret' };
    expect((await t.http.put('/api/v1/settings/llm', { ...scripted, timeoutMs: 5000 }, { token })).status).toBe(200);
    llm.reply(fence('SELECT count(*) FROM genre'));
    const unrun = await ask({
      connectorId: ids.pg,
      question: 'How many genres are listed?',
      execute: false,
      answer: true,
      chart: true,
    });
    expect(unrun.status).toBe(200);
    expect(unrun.body).toMatchObject({ answer: null, chart: null, result: null });
    expect(unrun.body.warnings.map((w: { code: string }) => w.code)).toEqual(['CHART_NO_RESULT', 'ANSWER_NO_RESULT']);

    // Without an LLM a question a stored example answers still succeeds; the missing words are explained.
    const example = await t.http.post(
      '/api/v1/examples',
      { connectorId: ids.pg, question: 'How many artists are there?', sql: 'SELECT count(*) FROM artist' },
      { token },
    );
    expect(example.status).toBe(201);
    expect((await t.http.delete('/api/v1/settings/llm', { token })).status).toBe(204);
    try {
      const res = await ask({ connectorId: ids.pg, question: 'How many artists are there?', answer: true });
      expect(res.status).toBe(200);
      expect(res.body.result.rows).toEqual([[275]]);
      expect(res.body.answer).toBeNull();
      expect(res.body.warnings).toEqual([
        { code: 'ANSWER_LLM_NOT_CONFIGURED', message: expect.stringContaining('/settings/llm') },
      ]);
      const plainQuestion = await ask({ connectorId: ids.pg, question: 'How many artists are there?' });
      expect(plainQuestion.body.warnings).toEqual([]);
    } finally {
      await t.http.put('/api/v1/settings/llm', { ...scripted, timeoutMs: 5000 }, { token });
    }
  });

  it.each([
    [
      'pg',
      'SELECT count(*) AS n, 9007199254740993::bigint AS big, 12.50::numeric AS price, 0.12345678901234567890::numeric AS fine FROM genre',
    ],
    [
      'maria',
      'SELECT count(*) AS n, CAST(9007199254740993 AS SIGNED) AS big, CAST(12.50 AS DECIMAL(10,2)) AS price, CAST(0.12345678901234567890 AS DECIMAL(30,20)) AS fine FROM Genre',
    ],
  ])('%s: bigint and numeric cells are JSON numbers when exact, strings otherwise', async (engine, sql) => {
    const res = await t.http.post('/api/v1/nl2sql/execute', { connectorId: ids[engine], sql }, { token });
    expect(res.status).toBe(200);
    expect(res.body.result.rows).toEqual([[25, '9007199254740993', 12.5, '0.12345678901234567890']]);
    expect(res.body.chart).toBeUndefined();
  });

  it('charts your own SQL with chart: true', async () => {
    const res = await t.http.post(
      '/api/v1/nl2sql/execute',
      {
        connectorId: ids.pg,
        sql: 'SELECT g.name, count(*) AS tracks FROM genre g JOIN track t ON t.genre_id = g.genre_id GROUP BY g.name',
        chart: true,
      },
      { token },
    );
    expect(res.status).toBe(200);
    expect(res.body.result.rows.every((r: unknown[]) => typeof r[1] === 'number')).toBe(true);
    expect(res.body.chart).toMatchObject({ mark: expect.anything(), data: expect.anything() });
  });

  it.each(['pg', 'maria', 'sqlite'])('%s: ten questions give the right rows and land in history', async (engine) => {
    for (const q of QUESTIONS) {
      llm.reply(fence(engine === 'pg' ? q.pg : q.pascal));
      const res = await ask({ connectorId: ids[engine], question: q.question });
      expect(res.status).toBe(200);
      expect(plain(res.body.result.rows)).toEqual(q.expect);
    }
    const history = await t.http.get(`/api/v1/history?connectorId=${ids[engine]}&ok=true&limit=100`, { token });
    const asked = history.body.data.map((h: { question: string }) => h.question);
    for (const q of QUESTIONS) expect(asked).toContain(q.question);
  });

  it('lets viewers ask but not write, lets an admin write, and withholds pii columns from viewers', async () => {
    const viewer = await user('viewer@acme.test', 'viewer');
    const editor = await t.http.login('editor@acme.test', 'editor-passphrase');
    llm.reply(fence('SELECT count(*) FROM genre'));
    expect((await ask({ connectorId: ids.pg, question: 'How many genres exist?' }, viewer)).status).toBe(200);
    for (const as of [viewer, editor]) {
      const res = await ask({ connectorId: ids.pg, question: 'Add a note', allowMutations: true }, as);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('MUTATIONS_FORBIDDEN');
    }

    await query(pgUrl, 'CREATE TABLE scratch_notes (id integer PRIMARY KEY, note text)');
    await t.http.get(`/api/v1/connectors/${ids.pg}/schema?refresh=true`, { token });
    llm.reply(fence("INSERT INTO scratch_notes (id, note) VALUES (1, 'hello')"));
    const write = await ask({ connectorId: ids.pg, question: 'Add a note saying hello', allowMutations: true });
    expect(write.status).toBe(200);
    expect(await query(pgUrl, 'SELECT id, note FROM scratch_notes')).toEqual([{ id: 1, note: 'hello' }]);
    // Without allowMutations even an admin's write is refused.
    llm.reply(...Array(3).fill(fence("INSERT INTO scratch_notes (id, note) VALUES (2, 'no')")));
    expect((await ask({ connectorId: ids.pg, question: 'Add another note' })).status).toBe(422);
    expect(await query(pgUrl, 'SELECT count(*)::int AS n FROM scratch_notes')).toEqual([{ n: 1 }]);

    for (const table of ['customer', 'employee']) {
      await t.http.post(
        `/api/v1/connectors/${ids.pg}/schema/annotations`,
        { table, column: 'email', tags: ['pii'] },
        { token },
      );
    }
    llm.reply(
      fence('SELECT first_name, email FROM customer ORDER BY customer_id LIMIT 2'),
      fence('SELECT first_name FROM customer ORDER BY customer_id LIMIT 2'),
    );
    const masked = await ask({ connectorId: ids.pg, question: 'First two customers and their e-mail' }, viewer);
    expect(masked.status).toBe(200);
    expect(masked.body.attempts[0].validationErrors[0].code).toBe('PII_COLUMN');
    expect(masked.body.result.columns.map((c: { name: string }) => c.name)).toEqual(['first_name']);
    expect(llm.requests[0].messages[1].content).not.toMatch(/\bemail\b/);
    const direct = await t.http.post(
      '/api/v1/nl2sql/execute',
      { connectorId: ids.pg, sql: 'SELECT * FROM customer LIMIT 1' },
      { token: viewer },
    );
    expect(JSON.stringify(direct.body)).not.toMatch(/@/);
    // An admin sees the column.
    const admin = await t.http.post(
      '/api/v1/nl2sql/execute',
      { connectorId: ids.pg, sql: 'SELECT email FROM customer LIMIT 1' },
      { token },
    );
    expect(admin.status).toBe(200);

    const other = (await createTenant(t, SEED_OTHER)).admin.token;
    const bodies: Record<string, Record<string, unknown>> = {
      query: { connectorId: ids.pg, question: 'How many albums are there?' },
      validate: { connectorId: ids.pg, sql: 'SELECT 1' },
      execute: { connectorId: ids.pg, sql: 'SELECT 1' },
      explain: { connectorId: ids.pg, sql: 'SELECT 1' },
    };
    for (const [path, body] of Object.entries(bodies)) {
      const res = await t.http.post(`/api/v1/nl2sql/${path}`, body, { token: other });
      expect(res.status).toBe(404);
    }
  });

  it('adds a scripted answer and a bar or line chart chosen by rule', async () => {
    llm.reply(
      fence(
        'SELECT g.name AS genre, count(*) AS tracks FROM track t JOIN genre g ON g.genre_id = t.genre_id GROUP BY g.name ORDER BY tracks DESC LIMIT 5',
      ),
      'Rock leads with 1,297 tracks.',
    );
    const bar = await ask({ connectorId: ids.pg, question: 'Tracks per genre, top five', answer: true, chart: true });
    expect(bar.body.answer).toBe('Rock leads with 1,297 tracks.');
    expect(bar.body.chart).toMatchObject({ mark: 'bar', encoding: { x: { field: 'genre' }, y: { field: 'tracks' } } });

    llm.reply(
      fence(
        "SELECT to_char(invoice_date, 'YYYY-MM') AS month, sum(total) AS total FROM invoice GROUP BY 1 ORDER BY 1 LIMIT 12",
      ),
    );
    const line = await ask({ connectorId: ids.pg, question: 'Sales per month', chart: true });
    expect(line.body.chart).toMatchObject({
      mark: { type: 'line' },
      encoding: { x: { field: 'month', type: 'temporal' } },
    });
  });

  it('streams every stage in order, then the same body as the plain route', async () => {
    const sql = 'SELECT name FROM media_type ORDER BY media_type_id';
    llm.reply(fence(sql), 'Five media types.');
    const plainBody = (await ask({ connectorId: ids.pg, question: 'List the media types', answer: true })).body;
    llm.reply(fence(sql), 'Five media types.');
    const res = await fetch(`${t.baseUrl}/api/v1/nl2sql/query/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connectorId: ids.pg, question: 'List the media types', answer: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .filter((b) => b.includes('data:'))
      .map((b) => ({ event: /^event: (.*)$/m.exec(b)![1], data: JSON.parse(/^data: (.*)$/m.exec(b)![1]) }));
    expect(events.filter((e) => e.event === 'stage').map((e) => e.data.stage)).toEqual([
      'linking',
      'generating',
      'validating',
      'executing',
      'answering',
    ]);
    const final = events.at(-1)!;
    expect(final.event).toBe('result');
    const comparable = (body: Record<string, any>) => ({
      sql: body.sql,
      rows: body.result.rows,
      answer: body.answer,
      attempts: body.attempts.length,
      tablesUsed: body.tablesUsed,
    });
    expect(comparable(final.data)).toEqual(comparable(plainBody));
  });
});
