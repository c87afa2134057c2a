import { DomainError } from '@sluice/core';
import type { AuthContext } from '@sluice/auth';
import type { Job, JobOptions, Queue } from 'bull';

/** Callers of two tenants, for the tenant-scoping cases every service spec checks. */
export const TENANT_A = 'ten_alpha';
export const TENANT_B = 'ten_bravo';

export function caller(tenantId = TENANT_A, overrides: Partial<AuthContext> = {}): AuthContext {
  return { tenantId, userId: `usr_${tenantId}`, role: 'admin', via: 'jwt', ...overrides };
}

let tick = Date.parse('2026-01-01T00:00:00.000Z');
/** A strictly increasing timestamp, so rows made one after another sort the same way every run. */
export function nextDate(): Date {
  tick += 1000;
  return new Date(tick);
}

export interface QueuedJob<T> {
  name: string;
  data: T;
  opts: JobOptions | undefined;
  removed: boolean;
}

/** A Bull queue that only remembers what was added (and removed). */
export class FakeQueue<T = unknown> {
  readonly jobs: QueuedJob<T>[] = [];

  async add(name: string, data: T, opts?: JobOptions): Promise<{ id: string | number | undefined }> {
    this.jobs.push({ name, data, opts, removed: false });
    return { id: opts?.jobId };
  }

  async getJob(id: string): Promise<{ remove(): Promise<void> } | null> {
    const job = this.jobs.find((j) => j.opts?.jobId === id && !j.removed);
    return job ? { remove: async () => void (job.removed = true) } : null;
  }

  /** Jobs still waiting (added and not removed). */
  get waiting(): QueuedJob<T>[] {
    return this.jobs.filter((j) => !j.removed);
  }

  asQueue(): Queue<T> {
    return this as unknown as Queue<T>;
  }
}

/** A Bull job as a processor sees it: its data, attempts, and what the processor did to it. */
export class FakeJob<T> {
  discarded = false;
  reported: unknown[] = [];
  readonly opts: { attempts?: number };

  constructor(
    readonly data: T,
    readonly attemptsMade = 0,
    attempts = 3,
  ) {
    this.opts = { attempts };
  }

  async discard(): Promise<void> {
    this.discarded = true;
  }

  async progress(value: unknown): Promise<void> {
    this.reported.push(value);
  }

  asJob(): Job<T> {
    return this as unknown as Job<T>;
  }
}

/** The status and code a call rejects with, as the API would answer them; fails on success or a non-domain error. */
export async function failure(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error = await promise.then(
    () => new Error('expected a rejection, but the call succeeded'),
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw error instanceof Error ? error : new Error(String(error));
  return { status: error.status, code: error.code };
}

/**
 * A deep copy of a stored row, so a caller cannot change the store by changing what it got back.
 * Not structuredClone: its Dates come from another realm under Jest and fail `toBeInstanceOf(Date)`.
 */
export function clone<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  }
  return value;
}
