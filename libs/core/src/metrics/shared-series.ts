import type { Logger } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import type { SharedFamily, SharedSeries } from './shared-metrics';

type Read = () => Promise<SharedSeries[]>;

/** A counter whose values are read from Redis at every scrape (prom-client's own collect hook). */
export class SharedCounter extends Counter<string> {
  constructor(family: SharedFamily, read: Read, registry: Registry, logger: Logger) {
    super({
      name: family.name,
      help: family.help,
      labelNames: [...family.labelNames],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const series of await read()) this.inc(series.labels, series.value);
        } catch (error) {
          logger.warn(`${family.name} not read: ${(error as Error).message}`);
        }
      },
    });
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
}

/**
 * A histogram whose buckets are read from Redis at every scrape. prom-client has no way to set a
 * histogram's buckets, so this replaces the method its registry reads a histogram through
 * (`getForPromString`, which `get()` also uses) with the stored counts, in the same shape.
 * metrics.service.spec.ts renders one through the registry, so a change in prom-client shows there.
 */
export class SharedHistogram extends Histogram<string> {
  private readonly bounds: number[];

  constructor(
    private readonly family: SharedFamily,
    private readonly read: Read,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    super({
      name: family.name,
      help: family.help,
      labelNames: [...family.labelNames],
      buckets: [...(family.buckets ?? [])],
      registers: [registry],
    });
    this.bounds = [...(family.buckets ?? [])].sort((a, b) => a - b);
  }

  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: string;
    values: ExportedValue[];
    aggregator: string;
  }> {
    const { name, help } = this.family;
    const values: ExportedValue[] = [];
    let stored: SharedSeries[] = [];
    try {
      stored = await this.read();
    } catch (error) {
      this.logger.warn(`${name} not read: ${(error as Error).message}`);
    }
    for (const series of stored) {
      let cumulative = 0;
      for (const bound of this.bounds) {
        cumulative += series.buckets.get(String(bound)) ?? 0;
        values.push({
          labels: { le: bound },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: `${name}_bucket`,
        });
      }
      const common = { sharedLabels: series.labels };
      values.push({ ...common, labels: { le: '+Inf' }, value: series.value, metricName: `${name}_bucket` });
      values.push({ ...common, labels: {}, value: series.sum, metricName: `${name}_sum` });
      values.push({ ...common, labels: {}, value: series.value, metricName: `${name}_count` });
    }
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  }
}
