import { getQueueToken } from '@nestjs/bull';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bull';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ALL_QUEUES } from '../queue/queue-names';
import { SharedFamily, SharedMetrics, SHARED_FAMILIES, boundedLabel } from './shared-metrics';
import { SharedCounter, SharedHistogram } from './shared-series';

/** The queue states shown as depth: what waits, runs, waits for its time, or failed for good. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** How an LLM call ended: `ok`, or its error code (LLM_TIMEOUT, LLM_ERROR, ...). */
export interface LlmCall {
  provider: string;
  model: string;
  outcome: string;
  seconds: number;
  promptTokens: number;
  completionTokens: number;
}

/** What one attempt of a question came to, as counted. */
export type AttemptResult = 'accepted' | 'refused' | 'no_sql' | 'too_complex' | 'db_error';

// Models are set per tenant by admins: free text. The first few distinct names are kept per
// process, later ones are counted as `other`, so a typo loop cannot grow the series forever.
const MAX_MODEL_LABELS = 20;
// Codes are constants of our code (NL2SQL_FAILED, LLM_TIMEOUT, UNKNOWN_TABLE, ...).
const CODE = /^[A-Z][A-Z0-9_]{0,47}$/;
const codeLabel = (code: string | undefined): string => (code && CODE.test(code) ? code : 'OTHER');

/**
 * One Prometheus registry per app instance (tests start several apps in one process). Series
 * of what happens in this process (HTTP, NL2SQL, LLM, guard) are counted in memory; queue depth
 * is read from Bull at scrape time and worker-side series (jobs, syncs) from Redis, where the
 * workers write them (see shared-metrics.ts), so every process's work shows on the API's /metrics.
 */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger('Metrics');
  private readonly models = new Set<string>();
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'sluice_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly nl2sqlQuestions = new Counter({
    name: 'sluice_nl2sql_questions_total',
    help: 'NL2SQL questions by outcome: answered, or the error code the question ended with',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly nl2sqlAttempts = new Counter({
    name: 'sluice_nl2sql_attempts_total',
    help: 'Candidate statements of NL2SQL questions, by source (llm, example) and result',
    labelNames: ['source', 'result'],
    registers: [this.registry],
  });

  readonly llmDuration = new Histogram({
    name: 'sluice_llm_request_duration_seconds',
    help: 'LLM call duration (retries included) by provider, model and outcome (ok or error code)',
    labelNames: ['provider', 'model', 'outcome'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: 'sluice_llm_tokens_total',
    help: 'LLM tokens spent, by provider, model and kind (prompt, completion)',
    labelNames: ['provider', 'model', 'kind'],
    registers: [this.registry],
  });

  readonly guardRefusals = new Counter({
    name: 'sluice_sql_guard_refusals_total',
    help: 'SQL refused by the guard, by rule (the refusal code, e.g. STATEMENT_NOT_ALLOWED, UNKNOWN_TABLE)',
    labelNames: ['rule'],
    registers: [this.registry],
  });

  constructor(
    @Optional() private readonly shared?: SharedMetrics,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
    const queues = () => this.queues();
    const logger = this.logger;
    new Gauge({
      name: 'sluice_queue_jobs',
      help: 'Jobs in each queue by state (waiting, active, delayed, failed), read from Redis at scrape time',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const queue of queues()) {
            const counts = (await queue.getJobCounts()) as unknown as Record<string, number>;
            for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }
        } catch (error) {
          logger.warn(`Queue depth not read: ${(error as Error).message}`);
        }
      },
    });
    for (const family of SHARED_FAMILIES) this.registerShared(family);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The families this registry exposes (for tests of dashboards and docs). */
  familyNames(): string[] {
    return this.registry.getMetricsAsArray().map((metric) => (metric as unknown as { name: string }).name);
  }

  /** One question's end: its outcome and how each attempt came out. */
  nl2sqlQuestion(outcome: string, attempts: Array<{ source: string; result: AttemptResult }>): void {
    this.nl2sqlQuestions.inc({ outcome: outcome === 'answered' ? outcome : codeLabel(outcome) });
    for (const a of attempts)
      this.nl2sqlAttempts.inc({ source: a.source === 'example' ? 'example' : 'llm', result: a.result });
  }

  llmCall(call: LlmCall): void {
    const labels = { provider: boundedLabel(call.provider), model: this.modelLabel(call.model) };
    this.llmDuration.observe(
      { ...labels, outcome: call.outcome === 'ok' ? 'ok' : codeLabel(call.outcome) },
      call.seconds,
    );
    if (call.promptTokens > 0) this.llmTokens.inc({ ...labels, kind: 'prompt' }, call.promptTokens);
    if (call.completionTokens > 0) this.llmTokens.inc({ ...labels, kind: 'completion' }, call.completionTokens);
  }

  /** The rules a refused statement broke (each refusal code counted once per check). */
  guardRefused(codes: string[]): void {
    for (const code of new Set(codes)) this.guardRefusals.inc({ rule: codeLabel(code) });
  }

  private modelLabel(model: string): string {
    const label = boundedLabel(model);
    if (this.models.has(label)) return label;
    if (this.models.size >= MAX_MODEL_LABELS) return 'other';
    this.models.add(label);
    return label;
  }

  private registerShared(family: SharedFamily): void {
    const read = () => (this.shared ? this.shared.read(family) : Promise.resolve([]));
    if (family.type === 'histogram') new SharedHistogram(family, read, this.registry, this.logger);
    else new SharedCounter(family, read, this.registry, this.logger);
  }

  /** The Bull queues of this app, when it has them (the CLI runs without Redis). */
  private queues(): Queue[] {
    if (!this.moduleRef) return [];
    const found: Queue[] = [];
    for (const name of ALL_QUEUES) {
      try {
        found.push(this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }));
      } catch {
        // Not registered in this app.
      }
    }
    return found;
  }
}
