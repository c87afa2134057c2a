import { HistoryRecord, HistoryService } from '@sluice/history';
import { JobName, QueueName } from '@sluice/core';
import { getQueueToken } from '@nestjs/bull';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PRUNE_HISTORY_EVERY_MS, PruneHistoryProcessor } from '@sluice/history/testing';
import type { Queue } from 'bull';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { loadChinookPostgres } from './helpers/chinook';
import { seed } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { dropDatabase, query, testVariables } from './helpers/test-env';

const KEEP = 50;

describe('query history (e2e)', () => {
  const chinookUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_history_');
  let t: TestApp;
  let history: HistoryService;
  let admin: string;
  let editor: string;
  let viewer: string;
  let globex: string;
  let acmeId: string;
  let globexId: string;
  let adminUserId: string;
  let editorUserId: string;
  let connectorId: string;
  let otherConnectorId: string;

  const get = (path: string, token = viewer) => t.http.get(`/api/v1/history${path}`, { token });
  const entry = (fields: Partial<HistoryRecord> = {}): Promise<{ id: string }> =>
    history.record({
      tenantId: acmeId,
      userId: adminUserId,
      connectorId,
      question: 'How many tracks are there?',
      sql: 'SELECT COUNT(*) FROM track',
      ok: true,
      rowCount: 1,
      durationMs: 42,
      attempts: 1,
      ...fields,
    });

  async function pgConnector(name: string, token = admin): Promise<string> {
    const res = await t.http.post(
      '/api/v1/connectors',
      {
        name,
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
      { token },
    );
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  beforeAll(async () => {
    await loadChinookPostgres(chinookUrl);
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', HISTORY_MAX_PER_TENANT: String(KEEP) });
    history = t.app.get(HistoryService);
    const seeded = await seed(t);
    admin = seeded.tenant.admin.token;
    acmeId = seeded.tenant.id;
    adminUserId = seeded.tenant.admin.id;
    editor = seeded.tenant.editor.token;
    editorUserId = seeded.tenant.editor.id;
    viewer = seeded.tenant.viewer.token;
    globexId = seeded.other.id;
    globex = seeded.other.admin.token;
    connectorId = await pgConnector('Chinook');
    otherConnectorId = await pgConnector('Chinook copy');
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await dropDatabase(chinookUrl);
  });

  it("records entries and shows every user's entries of the tenant to any role, newest first", async () => {
    const first = await entry({ question: 'Which artists have the most albums?', userId: adminUserId });
    const second = await entry({ question: 'Top customers by spend', userId: editorUserId, attempts: 3 });
    const failed = await entry({
      question: 'Sales by planet',
      sql: 'SELECT planet FROM invoice',
      ok: false,
      rowCount: null,
      error: 'column "planet" does not exist',
      userId: null,
    });

    const page = await get('');
    expect(page.status).toBe(200);
    expect(page.body.data.map((e: { id: string }) => e.id)).toEqual([failed.id, second.id, first.id]);
    expect(page.body.pagination).toEqual({ total: 3, limit: 20, hasMore: false, nextCursor: null });

    const one = await get(`/${second.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      id: second.id,
      createdAt: expect.any(String),
      userId: editorUserId,
      connectorId,
      question: 'Top customers by spend',
      sql: 'SELECT COUNT(*) FROM track',
      ok: true,
      rowCount: 1,
      error: null,
      durationMs: 42,
      attempts: 3,
      usage: null,
      exampleId: null,
    });
    expect((await get(`/${failed.id}`, editor)).body).toMatchObject({
      ok: false,
      error: expect.stringContaining('planet'),
    });
    expect((await get('/hist_doesnotexist0000')).status).toBe(404);
    expect((await t.http.get('/api/v1/history')).status).toBe(401);
  });

  it('searches q over question and SQL case-insensitively, and filters by ok and connector', async () => {
    await entry({ question: 'Revenue per GENRE', sql: 'SELECT g.name FROM genre g' });
    await entry({ question: 'Longest songs', sql: 'SELECT name FROM track ORDER BY milliseconds DESC' });
    await entry({ question: 'Album count', sql: 'SELECT count(*) FROM album', connectorId: otherConnectorId });
    await entry({ question: 'Broken genre query', sql: 'SELEC genre', ok: false, error: 'syntax error' });

    const questions = async (q: string) =>
      (await get(`?limit=100&${q}`)).body.data.map((e: { question: string }) => e.question).sort();
    expect(await questions('q=genre')).toEqual(['Broken genre query', 'Revenue per GENRE']);
    expect(await questions('q=MILLISECONDS')).toEqual(['Longest songs']);
    expect(await questions('q=genre&ok=true')).toEqual(['Revenue per GENRE']);
    expect(await questions('q=genre&ok=false')).toEqual(['Broken genre query']);
    expect(await questions('ok=0')).toEqual(['Broken genre query', 'Sales by planet']);
    expect(await questions(`connectorId=${otherConnectorId}`)).toEqual(['Album count']);
    expect(await questions(`connectorId=${otherConnectorId}&q=track`)).toEqual([]);
    expect(await questions('q=%25')).toEqual([]);
    expect((await get('?q=genre')).body.pagination.total).toBe(2);
    for (const bad of ['?ok=maybe', '?ok=', '?limit=abc', '?cursor=garbage', '?surprise=1']) {
      expect({ bad, status: (await get(bad)).status }).toEqual({ bad, status: 400 });
    }
  });

  it('accepts a limit of up to 500 and refuses 501 and 0', async () => {
    const max = await get('?limit=500');
    expect(max.status).toBe(200);
    expect(max.body.pagination.limit).toBe(500);
    for (const limit of [501, 1000, 0, -1]) {
      const res = await get(`?limit=${limit}`);
      expect({ limit, status: res.status }).toEqual({ limit, status: 400 });
      expect(res.body.details[0].field).toBe('limit');
    }
  });

  it('pages with cursors over 120 more entries, each exactly once, newest first', async () => {
    for (let i = 0; i < 120; i++) await entry({ question: `Paged question ${i}`, sql: `SELECT ${i}` });
    const all = await get('?limit=500');
    const total = all.body.pagination.total;
    expect(total).toBe(127);
    const order = all.body.data.map((e: { id: string }) => e.id);
    const times = all.body.data.map((e: { createdAt: string }) => e.createdAt);
    expect(times).toEqual([...times].sort().reverse());

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`?limit=25${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.pagination).toMatchObject({ total, limit: 25 });
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
      cursor = page.body.pagination.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    expect(pages).toBe(6);
    expect(seen).toEqual(order);

    // Filters hold across pages.
    const filtered: string[] = [];
    cursor = null;
    do {
      const page = await get(`?limit=30&q=paged&ok=true${cursor ? `&cursor=${cursor}` : ''}`);
      filtered.push(...page.body.data.map((e: { question: string }) => e.question));
      cursor = page.body.pagination.nextCursor;
    } while (cursor);
    expect(filtered).toHaveLength(120);
    expect(new Set(filtered).size).toBe(120);
  });

  it('promotes a successful entry to an example in the connector dialect, once', async () => {
    const ok = await entry({
      question: 'How many tracks are in each genre?',
      sql: 'SELECT g.name, COUNT(*) FROM genre g JOIN track t ON t.genre_id = g.genre_id GROUP BY g.name',
    });
    expect((await t.http.post(`/api/v1/history/${ok.id}/promote`, undefined, { token: viewer })).status).toBe(403);

    const promoted = await t.http.post(`/api/v1/history/${ok.id}/promote`, { tags: ['Genres'] }, { token: editor });
    expect(promoted.status).toBe(201);
    expect(promoted.body).toMatchObject({
      id: expect.stringMatching(/^ex_/),
      question: 'How many tracks are in each genre?',
      sql: expect.stringContaining('JOIN track t'),
      connectorId,
      dialect: 'postgresql',
      tags: ['genres'],
      warnings: [],
    });
    const example = await t.http.get(`/api/v1/examples/${promoted.body.id}`, { token: viewer });
    expect(example.status).toBe(200);
    expect(example.body).toMatchObject({ question: 'How many tracks are in each genre?', connectorId });
    expect((await get(`/${ok.id}`)).body.exampleId).toBe(promoted.body.id);

    const again = await t.http.post(`/api/v1/history/${ok.id}/promote`, undefined, { token: editor });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('HISTORY_ALREADY_PROMOTED');
    // Once its example is deleted, the entry can be promoted again.
    expect((await t.http.delete(`/api/v1/examples/${promoted.body.id}`, { token: editor })).status).toBe(204);
    expect((await get(`/${ok.id}`)).body.exampleId).toBeNull();
    const anew = await t.http.post(`/api/v1/history/${ok.id}/promote`, undefined, { token: admin });
    expect(anew.status).toBe(201);
    expect(anew.body.tags).toEqual([]);
  });

  it('refuses to promote a failed entry or one without SQL with 409, and reports unknown names', async () => {
    const failed = await entry({ question: 'Sales by planet', sql: 'SELECT planet FROM invoice', ok: false });
    const res = await t.http.post(`/api/v1/history/${failed.id}/promote`, undefined, { token: editor });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('HISTORY_ENTRY_FAILED');
    const noSql = await entry({ question: 'No SQL at all', sql: null });
    const refused = await t.http.post(`/api/v1/history/${noSql.id}/promote`, undefined, { token: editor });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('HISTORY_ENTRY_WITHOUT_SQL');

    const odd = await entry({ question: 'Ratings', sql: 'SELECT a.title, a.rating FROM album a' });
    const withWarning = await t.http.post(`/api/v1/history/${odd.id}/promote`, undefined, { token: editor });
    expect(withWarning.status).toBe(201);
    expect(withWarning.body.warnings).toEqual(['Unknown column "rating" in table "album"']);
    expect(
      (await t.http.post('/api/v1/history/hist_doesnotexist0000/promote', undefined, { token: editor })).status,
    ).toBe(404);
    const badBody = await t.http.post(`/api/v1/history/${odd.id}/promote`, { tags: 'x' }, { token: editor });
    expect(badBody.status).toBe(400);
  });

  it('promotes an entry whose connector is gone only when told the dialect', async () => {
    const doomed = await pgConnector('Doomed');
    const orphan = await entry({ question: 'Artists', sql: 'SELECT name FROM artist', connectorId: doomed });
    expect((await t.http.delete(`/api/v1/connectors/${doomed}`, { token: admin })).status).toBe(204);
    expect((await get(`/${orphan.id}`)).body.connectorId).toBeNull();

    const noDialect = await t.http.post(`/api/v1/history/${orphan.id}/promote`, undefined, { token: editor });
    expect(noDialect.status).toBe(400);
    expect(noDialect.body.details[0].field).toBe('dialect');
    const withDialect = await t.http.post(
      `/api/v1/history/${orphan.id}/promote`,
      { dialect: 'sqlite' },
      { token: editor },
    );
    expect(withDialect.status).toBe(201);
    expect(withDialect.body).toMatchObject({ connectorId: null, dialect: 'sqlite', warnings: [] });
  });

  it('lets only admins delete an entry', async () => {
    const doomed = await entry({ question: 'Delete me' });
    expect((await t.http.delete(`/api/v1/history/${doomed.id}`, { token: viewer })).status).toBe(403);
    expect((await t.http.delete(`/api/v1/history/${doomed.id}`, { token: editor })).status).toBe(403);
    expect((await get(`/${doomed.id}`)).status).toBe(200);
    expect((await t.http.delete(`/api/v1/history/${doomed.id}`, { token: admin })).status).toBe(204);
    expect((await get(`/${doomed.id}`)).status).toBe(404);
    expect((await t.http.delete(`/api/v1/history/${doomed.id}`, { token: admin })).status).toBe(404);
  });

  it("gives another tenant a 404 on every route and none of this tenant's entries", async () => {
    const mine = await entry({ question: 'Acme only' });
    for (const res of [
      await t.http.get(`/api/v1/history/${mine.id}`, { token: globex }),
      await t.http.post(`/api/v1/history/${mine.id}/promote`, undefined, { token: globex }),
      await t.http.delete(`/api/v1/history/${mine.id}`, { token: globex }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('HISTORY_NOT_FOUND');
    }
    const theirs = await t.http.get('/api/v1/history?limit=500', { token: globex });
    expect(theirs.body.pagination.total).toBe(0);
    expect((await t.http.get(`/api/v1/history?connectorId=${connectorId}`, { token: globex })).body.data).toEqual([]);
    expect((await get(`/${mine.id}`)).status).toBe(200);
  });

  describe('retention, run by the worker', () => {
    let worker: INestApplicationContext;
    let queue: Queue;

    const idsOf = async (tenantId: string) =>
      (
        await query<{ id: string }>(
          t.env.DATABASE_URL!,
          'SELECT id FROM history_entries WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC',
          [tenantId],
        )
      ).map((r) => r.id);

    async function runPrune(data: { tenantId?: string } = {}): Promise<{ deleted: number }> {
      const job = await queue.add(JobName.PruneHistory, data);
      return (await job.finished()) as { deleted: number };
    }

    beforeAll(async () => {
      worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), {
        logger: false,
        abortOnError: false,
      });
      await worker.init();
      queue = t.app.get<Queue>(getQueueToken(QueueName.Maintenance), { strict: false });
    });
    afterAll(() => worker?.close());

    it('registers one hourly prune, however often workers register it', async () => {
      await worker.get(PruneHistoryProcessor).schedule();
      await worker.get(PruneHistoryProcessor).schedule();
      const repeatable = await queue.getRepeatableJobs();
      expect(repeatable).toEqual([
        expect.objectContaining({ name: JobName.PruneHistory, every: PRUNE_HISTORY_EVERY_MS }),
      ]);
    });

    it(`keeps exactly the newest ${KEEP} entries of each tenant and leaves a tenant under the limit alone`, async () => {
      for (let i = 0; i < 30; i++) {
        await history.record({
          tenantId: globexId,
          userId: null,
          connectorId: null,
          question: `Globex question ${i}`,
          sql: 'SELECT 1',
          ok: true,
          durationMs: 5,
        });
      }
      const acmeBefore = await idsOf(acmeId);
      const globexBefore = await idsOf(globexId);
      expect(acmeBefore.length).toBeGreaterThan(KEEP + 50);
      expect(globexBefore).toHaveLength(30);

      expect(await runPrune()).toEqual({ deleted: acmeBefore.length - KEEP });
      expect(await idsOf(acmeId)).toEqual(acmeBefore.slice(0, KEEP));
      expect(await idsOf(globexId)).toEqual(globexBefore);
      const page = await get('?limit=500');
      expect(page.body.pagination.total).toBe(KEEP);
      expect(await runPrune()).toEqual({ deleted: 0 });
    });

    it('prunes only the tenant named in the job', async () => {
      for (let i = 0; i < 25; i++) {
        await history.record({
          tenantId: globexId,
          userId: null,
          connectorId: null,
          question: `More Globex ${i}`,
          sql: 'SELECT 1',
          ok: true,
          durationMs: 5,
        });
      }
      for (let i = 0; i < 5; i++) await entry({ question: `Late Acme ${i}` });
      const acmeBefore = await idsOf(acmeId);
      const globexBefore = await idsOf(globexId);
      expect(globexBefore).toHaveLength(55);

      expect(await runPrune({ tenantId: globexId })).toEqual({ deleted: 5 });
      expect(await idsOf(globexId)).toEqual(globexBefore.slice(0, KEEP));
      expect(await idsOf(acmeId)).toEqual(acmeBefore);
      expect(acmeBefore).toHaveLength(KEEP + 5);
    });
  });
});
