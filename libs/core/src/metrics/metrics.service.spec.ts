import { parseExposition, samplesOf, total } from '../../../../test/helpers/prometheus-text';
import { MetricsService } from './metrics.service';
import { JOB_DURATION, SharedFamily, SharedMetrics, SharedSeries, SYNC_RUNS_FINISHED } from './shared-metrics';

/** A SharedMetrics whose Redis is replaced by fixed stored series. */
function storedSeries(byFamily: Record<string, SharedSeries[]>): SharedMetrics {
  return { read: (family: SharedFamily) => Promise.resolve(byFamily[family.name] ?? []) } as unknown as SharedMetrics;
}

describe('MetricsService', () => {
  it('exposes request durations by method, route and status, and process metrics, in Prometheus text', async () => {
    const metrics = new MetricsService();
    metrics.httpDuration.observe({ method: 'GET', route: '/api/v1/connectors', status: '200' }, 0.03);
    const text = await metrics.text();
    expect(text).toContain('# TYPE sluice_http_request_duration_seconds histogram');
    expect(text).toContain(
      'sluice_http_request_duration_seconds_bucket{le="0.05",method="GET",route="/api/v1/connectors",status="200"} 1',
    );
    expect(text).toContain(
      'sluice_http_request_duration_seconds_bucket{le="0.025",method="GET",route="/api/v1/connectors",status="200"} 0',
    );
    expect(text).toMatch(/^sluice_process_cpu_user_seconds_total /m);
  });

  it('keeps one registry per instance, so two apps in one process do not share counts', async () => {
    const one = new MetricsService();
    const two = new MetricsService();
    one.httpDuration.observe({ method: 'POST', route: '/x', status: '201' }, 0.2);
    expect(await one.text()).toContain('route="/x"');
    expect(await two.text()).not.toContain('route="/x"');
  });

  it('counts questions, attempts, LLM calls and tokens, and guard refusals with bounded labels', async () => {
    const metrics = new MetricsService();
    metrics.nl2sqlQuestion('answered', [
      { source: 'llm', result: 'refused' },
      { source: 'llm', result: 'accepted' },
    ]);
    metrics.nl2sqlQuestion('select * from secrets where user = 42', []);
    metrics.llmCall({
      provider: 'openai',
      model: 'gpt-4o-mini',
      outcome: 'ok',
      seconds: 0.4,
      promptTokens: 120,
      completionTokens: 30,
    });
    metrics.llmCall({
      provider: 'openai',
      model: 'gpt-4o-mini',
      outcome: 'LLM_TIMEOUT',
      seconds: 30,
      promptTokens: 0,
      completionTokens: 0,
    });
    metrics.guardRefused(['STATEMENT_NOT_ALLOWED', 'STATEMENT_NOT_ALLOWED', 'UNKNOWN_TABLE']);
    const text = parseExposition(await metrics.text());

    expect(total(text, 'sluice_nl2sql_questions_total', { outcome: 'answered' })).toBe(1);
    // A value that is not one of our codes (here: SQL) never becomes a label.
    expect(total(text, 'sluice_nl2sql_questions_total', { outcome: 'OTHER' })).toBe(1);
    expect(text.samples.some((s) => Object.values(s.labels).some((v) => v.includes('secrets')))).toBe(false);
    expect(total(text, 'sluice_nl2sql_attempts_total', { source: 'llm', result: 'refused' })).toBe(1);
    expect(total(text, 'sluice_nl2sql_attempts_total', { source: 'llm', result: 'accepted' })).toBe(1);
    expect(total(text, 'sluice_llm_request_duration_seconds_count', { model: 'gpt-4o-mini', outcome: 'ok' })).toBe(1);
    expect(total(text, 'sluice_llm_request_duration_seconds_count', { outcome: 'LLM_TIMEOUT' })).toBe(1);
    expect(total(text, 'sluice_llm_tokens_total', { provider: 'openai', kind: 'prompt' })).toBe(120);
    expect(total(text, 'sluice_llm_tokens_total', { provider: 'openai', kind: 'completion' })).toBe(30);
    // Each rule once per refused statement.
    expect(total(text, 'sluice_sql_guard_refusals_total', { rule: 'STATEMENT_NOT_ALLOWED' })).toBe(1);
    expect(total(text, 'sluice_sql_guard_refusals_total', { rule: 'UNKNOWN_TABLE' })).toBe(1);
  });

  it('keeps at most a few distinct model names as labels: the rest count as other', async () => {
    const metrics = new MetricsService();
    for (let i = 0; i < 30; i++) {
      metrics.llmCall({
        provider: 'ollama',
        model: `m${i}`,
        outcome: 'ok',
        seconds: 1,
        promptTokens: 1,
        completionTokens: 1,
      });
    }
    const text = parseExposition(await metrics.text());
    const models = new Set(samplesOf(text, 'sluice_llm_request_duration_seconds_count').map((s) => s.labels.model));
    expect(models.size).toBe(21);
    expect(total(text, 'sluice_llm_request_duration_seconds_count', { model: 'other' })).toBe(10);
  });

  it('renders series stored in Redis: cumulative histogram buckets, sum and count, and counters', async () => {
    const metrics = new MetricsService(
      storedSeries({
        [JOB_DURATION.name]: [
          {
            labels: { queue: 'connector-sync', outcome: 'completed' },
            value: 3,
            sum: 4.5,
            // Stored per bucket: one run under 0.5 s, two between 2.5 and 5 s.
            buckets: new Map([
              ['0.5', 1],
              ['5', 2],
            ]),
          },
        ],
        [SYNC_RUNS_FINISHED.name]: [
          { labels: { connector_type: 'postgresql', outcome: 'succeeded' }, value: 7, sum: 0, buckets: new Map() },
        ],
      }),
    );
    const raw = await metrics.text();
    const text = parseExposition(raw);
    expect(text.types.get('sluice_job_duration_seconds')).toBe('histogram');
    expect(text.types.get('sluice_sync_runs_finished_total')).toBe('counter');
    const bucket = (le: string) =>
      total(text, 'sluice_job_duration_seconds_bucket', { queue: 'connector-sync', outcome: 'completed', le });
    expect(bucket('0.25')).toBe(0);
    expect(bucket('0.5')).toBe(1);
    expect(bucket('2.5')).toBe(1);
    expect(bucket('5')).toBe(3);
    expect(bucket('+Inf')).toBe(3);
    expect(total(text, 'sluice_job_duration_seconds_sum', { queue: 'connector-sync' })).toBe(4.5);
    expect(total(text, 'sluice_job_duration_seconds_count', { queue: 'connector-sync' })).toBe(3);
    expect(total(text, 'sluice_sync_runs_finished_total', { connector_type: 'postgresql', outcome: 'succeeded' })).toBe(
      7,
    );
    // The JSON view prom-client builds from the same method agrees.
    const json = await metrics.registry.getMetricsAsJSON();
    const jobs = json.find((m) => m.name === 'sluice_job_duration_seconds')!;
    expect(jobs.values.find((v) => v.labels.le === 5)).toMatchObject({ value: 3, labels: { queue: 'connector-sync' } });
  });

  it('names every family it exposes, the Redis-backed ones and the queue depth included', () => {
    const names = new MetricsService().familyNames();
    for (const name of [
      'sluice_http_request_duration_seconds',
      'sluice_queue_jobs',
      'sluice_job_duration_seconds',
      'sluice_sync_runs_started_total',
      'sluice_sync_runs_finished_total',
      'sluice_sync_documents_total',
      'sluice_nl2sql_questions_total',
      'sluice_nl2sql_attempts_total',
      'sluice_llm_request_duration_seconds',
      'sluice_llm_tokens_total',
      'sluice_sql_guard_refusals_total',
    ]) {
      expect(names).toContain(name);
    }
  });
});
