import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { MetricsService } from './metrics.service';

const DASHBOARD = join(__dirname, '..', '..', '..', '..', 'docker', 'grafana', 'sluice-dashboard.json');

interface Panel {
  title?: string;
  type: string;
  panels?: Panel[];
  targets?: Array<{ expr: string }>;
}

/** Every PromQL expression of the dashboard, rows' nested panels included. */
function expressions(panels: Panel[]): Array<{ panel: string; expr: string }> {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).map((t) => ({ panel: p.title ?? p.type, expr: t.expr })),
    ...expressions(p.panels ?? []),
  ]);
}

/** The series a PromQL expression reads: our names only (label names and functions are not ours). */
const seriesIn = (expr: string): string[] => expr.replace(/\{[^}]*\}/g, '').match(/\bsluice_[a-z0-9_]+\b/g) ?? [];

/** The family a series belongs to: histograms are read through their _bucket, _sum and _count series. */
function familyOf(series: string, types: Map<string, string>): string | undefined {
  if (types.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' ? base : undefined;
}

describe('the Grafana dashboard (docker/grafana/sluice-dashboard.json)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };
  const metrics = new MetricsService();
  // Family name → type, as the registry exposes them (the Redis-backed ones and the gauges included).
  const types = new Map(
    metrics.registry
      .getMetricsAsArray()
      .map((m) => m as unknown as { name: string; type: string })
      .map((m) => [m.name, m.type] as const),
  );
  const queries = expressions(dashboard.panels);

  it('is a dashboard with a stable uid and queries', () => {
    expect(dashboard.uid).toBe('sluice-overview');
    expect(queries.length).toBeGreaterThan(10);
    expect(metrics.registry).toBeInstanceOf(Registry);
  });

  it('queries only series that MetricsService exposes (a renamed metric fails here)', () => {
    const unknown = queries.flatMap(({ panel, expr }) =>
      seriesIn(expr)
        .filter((series) => !familyOf(series, types))
        .map((series) => `${panel}: ${series}`),
    );
    expect(unknown).toEqual([]);
  });

  it('has a panel for every series of our own (process metrics aside)', () => {
    const queried = new Set(queries.flatMap(({ expr }) => seriesIn(expr).map((s) => familyOf(s, types))));
    const ours = [...types.keys()].filter((name) => !/^sluice_(process|nodejs)_/.test(name));
    expect(ours.filter((name) => !queried.has(name))).toEqual([]);
  });

  it('writes balanced PromQL and reads histograms through histogram_quantile by le', () => {
    for (const { panel, expr } of queries) {
      const depth = [...expr].reduce((d, c) => (d < 0 ? d : d + (c === '(' ? 1 : c === ')' ? -1 : 0)), 0);
      expect([panel, depth]).toEqual([panel, 0]);
      if (expr.includes('_bucket'))
        expect([panel, expr]).toEqual([panel, expect.stringMatching(/histogram_quantile\(.*by \(le\b/)]);
    }
  });
});
