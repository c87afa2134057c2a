import { INestApplicationContext } from '@nestjs/common';
import { loadChinookPostgres, localPostgresConnector } from './helpers/chinook';
import { eventually } from './helpers/eventually';
import { FakeOpenAi } from './helpers/fake-openai';
import { Exposition, parseExposition, samplesOf, total } from './helpers/prometheus-text';
import { waitForRun } from './helpers/runs';
import { startTestApp, TestApp } from './helpers/test-app';
import { dropDatabase, testVariables } from './helpers/test-env';
import { startTestWorker } from './helpers/test-worker';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const SCRAPE_TOKEN = 'prometheus-scrape-token-for-the-metrics-e2e';
const fence = (sql: string) => `\`\`\`sql\n${sql}\n\`\`\``;

/**
 * The series an operator watches, after real work: a sync of Chinook by the real worker, an
 * NL2SQL question answered by a local scripted model, and SQL the guard refuses. Scraped as
 * Prometheus does, with the scrape token, and parsed as exposition text.
 */
describe('GET /metrics after real work (e2e)', () => {
  const chinookUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_metrics_');
  const llm = new FakeOpenAi();
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  let token: string;
  let connectorId: string;
  let runId: string;

  const scrape = async (): Promise<Exposition> => {
    const res = await t.http.get('/metrics', { token: SCRAPE_TOKEN });
    expect(res.status).toBe(200);
    return parseExposition(res.text);
  };

  beforeAll(async () => {
    await loadChinookPostgres(chinookUrl);
    await llm.start();
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', METRICS_TOKEN: SCRAPE_TOKEN }, { captureLogs: true });
    token = await t.http.login(ADMIN.email, ADMIN.password);
    const created = await t.http.post(
      '/api/v1/connectors',
      { name: 'Chinook', ...localPostgresConnector(chinookUrl) },
      { token },
    );
    expect(created.status).toBe(201);
    connectorId = created.body.id;
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await llm.stop();
    await dropDatabase(chinookUrl);
  });

  it('shows a queued sync as queue depth, read from Redis at scrape time', async () => {
    // No worker yet: the job waits in Bull.
    const started = await t.http.post(`/api/v1/connectors/${connectorId}/sync`, undefined, { token });
    expect(started.status).toBe(202);
    runId = started.body.id;
    const text = await scrape();
    expect(text.types.get('sluice_queue_jobs')).toBe('gauge');
    expect(total(text, 'sluice_queue_jobs', { queue: 'connector-sync', state: 'waiting' })).toBe(1);
    expect(total(text, 'sluice_queue_jobs', { queue: 'connector-sync', state: 'active' })).toBe(0);
    expect(total(text, 'sluice_sync_runs_started_total', { connector_type: 'postgresql' })).toBe(1);
  });

  it("counts the worker's job and sync on the API's /metrics", async () => {
    worker = await startTestWorker(t.env, t.logger);
    const run = await waitForRun(t.http, token, connectorId, runId);
    expect(run).toMatchObject({ status: 'succeeded', progress: { created: 11 } });
    // The worker records the job's duration as the job returns, just after the run turned final.
    const text = await eventually(
      scrape,
      (x) => total(x, 'sluice_job_duration_seconds_count', { queue: 'connector-sync', outcome: 'completed' }) >= 1,
      30_000,
      { what: 'the sync job on /metrics' },
    );
    expect(text.types.get('sluice_job_duration_seconds')).toBe('histogram');
    const sum = total(text, 'sluice_job_duration_seconds_sum', { queue: 'connector-sync', outcome: 'completed' });
    expect(sum).toBeGreaterThan(0);
    const inf = total(text, 'sluice_job_duration_seconds_bucket', { queue: 'connector-sync', le: '+Inf' });
    expect(inf).toBe(total(text, 'sluice_job_duration_seconds_count', { queue: 'connector-sync' }));
    expect(total(text, 'sluice_sync_runs_finished_total', { connector_type: 'postgresql', outcome: 'succeeded' })).toBe(
      1,
    );
    expect(total(text, 'sluice_sync_documents_total', { connector_type: 'postgresql', change: 'created' })).toBe(11);
    expect(total(text, 'sluice_queue_jobs', { queue: 'connector-sync', state: 'waiting' })).toBe(0);
  });

  it('counts an NL2SQL question, its attempts, the LLM call and its tokens, and guard refusals by rule', async () => {
    const settings = await t.http.put(
      '/api/v1/settings/llm',
      { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, apiKey: 'sk-metrics-test', timeoutMs: 5000 },
      { token },
    );
    expect(settings.status).toBe(200);
    llm.reply(fence('SELECT titel FROM album LIMIT 3'), fence('SELECT title FROM album ORDER BY album_id LIMIT 3'));
    const asked = await t.http.post('/api/v1/nl2sql/query', { connectorId, question: 'Name three albums' }, { token });
    expect(asked.status).toBe(200);
    expect(asked.body.attempts).toHaveLength(2);

    const hostile = await t.http.post('/api/v1/nl2sql/validate', { connectorId, sql: 'DELETE FROM album' }, { token });
    expect(hostile.body.ok).toBe(false);
    const rules: string[] = hostile.body.errors.map((e: { code: string }) => e.code);
    expect(rules.length).toBeGreaterThan(0);
    const refusedRun = await t.http.post(
      '/api/v1/nl2sql/execute',
      { connectorId, sql: 'SELECT * FROM secret_table' },
      { token },
    );
    expect(refusedRun.status).toBe(422);

    const text = await scrape();
    expect(total(text, 'sluice_nl2sql_questions_total', { outcome: 'answered' })).toBe(1);
    expect(total(text, 'sluice_nl2sql_attempts_total', { source: 'llm', result: 'refused' })).toBe(1);
    expect(total(text, 'sluice_nl2sql_attempts_total', { source: 'llm', result: 'accepted' })).toBe(1);
    const llmLabels = { provider: 'openai', model: 'scripted', outcome: 'ok' };
    expect(total(text, 'sluice_llm_request_duration_seconds_count', llmLabels)).toBe(2);
    expect(total(text, 'sluice_llm_request_duration_seconds_sum', llmLabels)).toBeGreaterThan(0);
    expect(total(text, 'sluice_llm_tokens_total', { provider: 'openai', kind: 'prompt' })).toBeGreaterThan(0);
    expect(total(text, 'sluice_llm_tokens_total', { provider: 'openai', kind: 'completion' })).toBeGreaterThan(0);
    // The LLM's unknown column, the DELETE and the unknown table, each under its rule.
    expect(total(text, 'sluice_sql_guard_refusals_total', { rule: 'UNKNOWN_COLUMN' })).toBeGreaterThanOrEqual(1);
    for (const rule of rules)
      expect(total(text, 'sluice_sql_guard_refusals_total', { rule })).toBeGreaterThanOrEqual(1);
    expect(total(text, 'sluice_sql_guard_refusals_total', { rule: 'UNKNOWN_TABLE' })).toBeGreaterThanOrEqual(1);
  });

  it('labels HTTP latency by route template, and never carries ids, SQL or question text in a label', async () => {
    await t.http.get(`/api/v1/connectors/${connectorId}/runs/${runId}`, { token });
    const text = await scrape();
    expect(
      total(text, 'sluice_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/connectors/:id/runs/:runId',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      total(text, 'sluice_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/nl2sql/query' }),
    ).toBe(1);
    const values = text.samples.flatMap((s) => Object.values(s.labels));
    for (const leak of [connectorId, runId, 'album', 'Name three albums', 'secret_table', 'acme']) {
      expect(values.filter((v) => v.toLowerCase().includes(leak.toLowerCase()))).toEqual([]);
    }
    // Every named series is there with a non-zero count.
    for (const name of [
      'sluice_http_request_duration_seconds_count',
      'sluice_job_duration_seconds_count',
      'sluice_sync_runs_started_total',
      'sluice_sync_runs_finished_total',
      'sluice_sync_documents_total',
      'sluice_nl2sql_questions_total',
      'sluice_nl2sql_attempts_total',
      'sluice_llm_request_duration_seconds_count',
      'sluice_llm_tokens_total',
      'sluice_sql_guard_refusals_total',
    ]) {
      expect(samplesOf(text, name).length).toBeGreaterThan(0);
      expect(total(text, name)).toBeGreaterThan(0);
    }
  });

  it('logs each request as one JSON line with its request id, tenant and user, and no secret', async () => {
    const res = await t.http.get(`/api/v1/connectors/${connectorId}`, { token });
    const requestId = res.headers.get('x-request-id');
    const line = await eventually(
      () => t.logs.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.requestId === requestId),
      (found) => found !== undefined,
      5_000,
      { what: 'the request log line' },
    );
    expect(line).toMatchObject({
      level: 'info',
      context: 'Http',
      msg: 'request completed',
      method: 'GET',
      route: '/api/v1/connectors/:id',
      status: 200,
      tenantId: expect.stringMatching(/^ten_/),
      userId: expect.stringMatching(/^usr_/),
      durationMs: expect.any(Number),
    });
    const all = t.logs.join('\n');
    for (const secret of [token, 'sk-metrics-test', ADMIN.password]) expect(all).not.toContain(secret);
  });
});
