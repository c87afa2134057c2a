import Redis from 'ioredis';
import { parseExposition, total } from '../../../../test/helpers/prometheus-text';
import { clearRedisPrefix, REDIS_URL } from '../../../../test/helpers/test-env';
import { randomAlphanumeric } from '../ids/ids';
import { MetricsService } from './metrics.service';
import { SharedMetrics } from './shared-metrics';

describe('SharedMetrics (real Redis)', () => {
  const prefix = `test_${randomAlphanumeric(8)}`;
  // Two clients, as a worker process and an API process would have.
  const workerRedis = new Redis(REDIS_URL, { keyPrefix: `${prefix}:` });
  const apiRedis = new Redis(REDIS_URL, { keyPrefix: `${prefix}:` });

  afterAll(async () => {
    await clearRedisPrefix(prefix);
    workerRedis.disconnect();
    apiRedis.disconnect();
  });

  it("shows on the API's /metrics what a worker recorded: job durations and sync counts", async () => {
    const worker = new SharedMetrics(workerRedis);
    await worker.jobFinished('connector-sync', 'completed', 0.3);
    await worker.jobFinished('connector-sync', 'completed', 7);
    await worker.jobFinished('connector-sync', 'failed', 0.01);
    await worker.syncStarted('postgresql');
    await worker.syncFinished('postgresql', 'succeeded');
    await worker.syncDocuments('postgresql', { created: 11, updated: 0, deleted: 2 });
    await worker.syncDocuments('postgresql', { created: 4 });

    const api = new MetricsService(new SharedMetrics(apiRedis));
    const text = parseExposition(await api.text());
    const completed = { queue: 'connector-sync', outcome: 'completed' };
    expect(total(text, 'sluice_job_duration_seconds_count', completed)).toBe(2);
    expect(total(text, 'sluice_job_duration_seconds_sum', completed)).toBeCloseTo(7.3, 6);
    expect(total(text, 'sluice_job_duration_seconds_bucket', { ...completed, le: '0.5' })).toBe(1);
    expect(total(text, 'sluice_job_duration_seconds_bucket', { ...completed, le: '10' })).toBe(2);
    expect(total(text, 'sluice_job_duration_seconds_count', { queue: 'connector-sync', outcome: 'failed' })).toBe(1);
    expect(total(text, 'sluice_sync_runs_started_total', { connector_type: 'postgresql' })).toBe(1);
    expect(total(text, 'sluice_sync_runs_finished_total', { outcome: 'succeeded' })).toBe(1);
    expect(total(text, 'sluice_sync_documents_total', { change: 'created' })).toBe(15);
    expect(total(text, 'sluice_sync_documents_total', { change: 'deleted' })).toBe(2);
    // Nothing is written for a change of zero.
    expect(text.samples.some((s) => s.labels.change === 'updated')).toBe(false);
  });

  it('keeps counting across scrapes, and a lost Redis costs the metric, never the caller', async () => {
    const worker = new SharedMetrics(workerRedis);
    const api = new MetricsService(new SharedMetrics(apiRedis));
    const before = total(parseExposition(await api.text()), 'sluice_sync_runs_started_total');
    await worker.syncStarted('local_file');
    const after = total(parseExposition(await api.text()), 'sluice_sync_runs_started_total');
    expect(after).toBe(before + 1);

    const gone = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    gone.on('error', () => undefined);
    await expect(new SharedMetrics(gone).syncStarted('local_file')).resolves.toBeUndefined();
    // The scrape still answers, without the series it could not read.
    const text = parseExposition(await new MetricsService(new SharedMetrics(gone)).text());
    expect(text.types.get('sluice_sync_runs_started_total')).toBe('counter');
    gone.disconnect();
  });
});
