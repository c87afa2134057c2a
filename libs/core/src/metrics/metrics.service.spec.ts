import { MetricsService } from './metrics.service';

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
});
