import { getQueueToken } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationBootstrap, Optional, SetMetadata } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { Job, Queue } from 'bull';
import { EnvDto } from '../config/env.dto';
import { JobOutcome, SharedMetrics } from '../metrics/shared-metrics';
import { JOB_QUEUE, JobName } from './queue-names';
import { WorkerStoppingError } from './worker-stop';

const JOB_HANDLER = 'sluice:job-handler';

/** Marks the method that processes one job name (in the worker's providers). */
export const JobHandler = (name: JobName): MethodDecorator => SetMetadata(JOB_HANDLER, name);

/**
 * Connects every @JobHandler to its Bull queue with WORKER_CONCURRENCY, and refuses to start
 * while a job name has no handler, so a job can never wait forever for a missing processor.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
    private readonly env: EnvDto,
    @Optional() private readonly metrics?: SharedMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const handlers = this.findHandlers();
    const missing = Object.values(JobName).filter((name) => !handlers.has(name));
    if (missing.length) throw new Error(`No processor for job(s): ${missing.join(', ')}`);
    for (const [name, handle] of handlers) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(JOB_QUEUE[name]), { strict: false });
      void queue.process(name, this.env.WORKER_CONCURRENCY, (job: Job) => this.timed(JOB_QUEUE[name], job, handle));
      this.logger.log(`Processing ${name} on ${JOB_QUEUE[name]} (concurrency ${this.env.WORKER_CONCURRENCY})`);
    }
  }

  /** Runs one attempt of a job and records its duration and outcome for /metrics. */
  private async timed(queue: string, job: Job, handle: (job: Job) => Promise<unknown>): Promise<unknown> {
    const started = process.hrtime.bigint();
    let outcome: JobOutcome = 'failed';
    try {
      const result = await handle(job);
      outcome = 'completed';
      return result;
    } catch (error) {
      if (error instanceof WorkerStoppingError) outcome = 'handed_back';
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await this.metrics?.jobFinished(queue, outcome, seconds);
    }
  }

  private findHandlers(): Map<JobName, (job: Job) => Promise<unknown>> {
    const found = new Map<JobName, (job: Job) => Promise<unknown>>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = (proto as Record<string, unknown>)[method] as (job: Job) => Promise<unknown>;
        const name = Reflect.getMetadata(JOB_HANDLER, fn) as JobName | undefined;
        if (!name) continue;
        if (found.has(name)) throw new Error(`Two processors for job ${name}`);
        found.set(name, (job) => fn.call(instance, job));
      }
    }
    return found;
  }
}
