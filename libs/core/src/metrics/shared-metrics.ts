import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.token';

/**
 * A metric family whose counts live in Redis rather than in one process's memory.
 *
 * Why Redis: jobs run in the worker processes, which have no HTTP server, while Prometheus
 * scrapes the API. A worker-side /metrics port would need one scrape target per worker (and
 * workers come and go with the load); counts written to Redis with HINCRBY reach every API
 * instance's /metrics at scrape time, survive a worker restart, and stay under the install's
 * REDIS_KEY_PREFIX. The price: these series are cluster-wide totals, the same on every API
 * instance, so dashboards aggregate them with max(), not sum().
 */
export interface SharedFamily {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  labelNames: readonly string[];
  /** Upper bounds, for histograms. */
  buckets?: readonly number[];
}

export const JOB_DURATION: SharedFamily = {
  name: 'sluice_job_duration_seconds',
  help: 'Duration of one job attempt in the workers, by queue and outcome (completed, failed, handed_back)',
  type: 'histogram',
  labelNames: ['queue', 'outcome'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
};

export const SYNC_RUNS_STARTED: SharedFamily = {
  name: 'sluice_sync_runs_started_total',
  help: 'Sync runs started (queued for a worker), by connector type',
  type: 'counter',
  labelNames: ['connector_type'],
};

export const SYNC_RUNS_FINISHED: SharedFamily = {
  name: 'sluice_sync_runs_finished_total',
  help: 'Sync runs that reached a final state, by connector type and outcome (succeeded, failed, cancelled)',
  type: 'counter',
  labelNames: ['connector_type', 'outcome'],
};

export const SYNC_DOCUMENTS: SharedFamily = {
  name: 'sluice_sync_documents_total',
  help: 'Documents written by syncs, by connector type and change (created, updated, unchanged, deleted)',
  type: 'counter',
  labelNames: ['connector_type', 'change'],
};

export const SHARED_FAMILIES: readonly SharedFamily[] = [
  JOB_DURATION,
  SYNC_RUNS_STARTED,
  SYNC_RUNS_FINISHED,
  SYNC_DOCUMENTS,
];

/** One label set of a family as read back: a counter's value, or a histogram's buckets. */
export interface SharedSeries {
  labels: Record<string, string>;
  /** Counter value, or the histogram's observation count. */
  value: number;
  sum: number;
  /** Per upper bound (and +Inf), observations that fell in that bucket alone (not cumulative). */
  buckets: Map<string, number>;
}

export type SyncOutcome = 'succeeded' | 'failed' | 'cancelled';
export type JobOutcome = 'completed' | 'failed' | 'handed_back';
export interface DocumentChanges {
  created?: number;
  updated?: number;
  unchanged?: number;
  deleted?: number;
}

const key = (family: SharedFamily) => `metrics:${family.name}`;
// A hash field is the label values as a JSON array, then (histograms) a newline and the slot:
// `count`, `sum` or `le=<bound>`. JSON.stringify never writes a raw newline.
const COUNT = 'count';
const SUM = 'sum';

/** A label value from our own code, kept short and printable so a mistake cannot explode the series. */
export function boundedLabel(value: string | null | undefined): string {
  if (!value) return 'unknown';
  const clean = value.replace(/[^A-Za-z0-9_.:/-]/g, '_').slice(0, 64);
  return clean || 'unknown';
}

/**
 * The counts kept in Redis: the workers (and the API) write them, the API's MetricsService reads
 * them when Prometheus scrapes. A write that fails is logged and dropped: a metric must never
 * fail the job or the request it describes.
 */
@Injectable()
export class SharedMetrics {
  private readonly logger = new Logger('Metrics');

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  jobFinished(queue: string, outcome: JobOutcome, seconds: number): Promise<void> {
    return this.observe(JOB_DURATION, [boundedLabel(queue), outcome], seconds);
  }

  syncStarted(connectorType: string): Promise<void> {
    return this.increment(SYNC_RUNS_STARTED, [[boundedLabel(connectorType)], 1]);
  }

  syncFinished(connectorType: string, outcome: SyncOutcome): Promise<void> {
    return this.increment(SYNC_RUNS_FINISHED, [[boundedLabel(connectorType), outcome], 1]);
  }

  syncDocuments(connectorType: string, changes: DocumentChanges): Promise<void> {
    const type = boundedLabel(connectorType);
    const entries = (Object.entries(changes) as Array<[string, number | undefined]>)
      .filter((entry): entry is [string, number] => (entry[1] ?? 0) > 0)
      .map(([change, n]): [string[], number] => [[type, change], n]);
    return this.increment(SYNC_DOCUMENTS, ...entries);
  }

  /** Every label set of a family, as stored. */
  async read(family: SharedFamily): Promise<SharedSeries[]> {
    const fields = await this.redis.hgetall(key(family));
    const series = new Map<string, SharedSeries>();
    for (const [field, raw] of Object.entries(fields)) {
      const [labelsJson, slot] = field.split('\n');
      const values = JSON.parse(labelsJson) as string[];
      let one = series.get(labelsJson);
      if (!one) {
        const labels = Object.fromEntries(family.labelNames.map((name, i) => [name, values[i] ?? '']));
        one = { labels, value: 0, sum: 0, buckets: new Map() };
        series.set(labelsJson, one);
      }
      const n = Number(raw);
      if (family.type === 'counter' || slot === COUNT) one.value = n;
      else if (slot === SUM) one.sum = n;
      else if (slot?.startsWith('le=')) one.buckets.set(slot.slice(3), n);
    }
    return [...series.values()];
  }

  private async increment(family: SharedFamily, ...entries: Array<[string[], number]>): Promise<void> {
    if (!entries.length) return;
    const multi = this.redis.multi();
    for (const [labels, n] of entries) multi.hincrby(key(family), JSON.stringify(labels), n);
    await this.run(family, multi.exec());
  }

  private async observe(family: SharedFamily, labels: string[], value: number): Promise<void> {
    const bound = (family.buckets ?? []).find((b) => value <= b);
    const prefix = `${JSON.stringify(labels)}\n`;
    const multi = this.redis
      .multi()
      .hincrby(key(family), `${prefix}le=${bound ?? '+Inf'}`, 1)
      .hincrby(key(family), prefix + COUNT, 1)
      .hincrbyfloat(key(family), prefix + SUM, value);
    await this.run(family, multi.exec());
  }

  private async run(family: SharedFamily, exec: Promise<unknown>): Promise<void> {
    try {
      await exec;
    } catch (error) {
      this.logger.warn({ metric: family.name, msg: `Metric not recorded: ${(error as Error).message}` });
    }
  }
}
