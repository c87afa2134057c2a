import { createHash } from 'node:crypto';
import { FieldProblem } from '@sluice/core';
import type { DiscoveredItem, JsonSchema } from '../../plugin/connector-plugin';

/** Messages one sync takes at most, unless the connector says otherwise (seed 002's Kafka default). */
export const DEFAULT_MAX_MESSAGES = 1_000;
export const MAX_MAX_MESSAGES = 10_000;
/** How long one sync waits for maxMessages at most. */
export const DEFAULT_WAIT_TIMEOUT_MS = 15_000;
export const MAX_WAIT_TIMEOUT_MS = 300_000;
/** Quiet time after which the source counts as drained and the sync ends before waitTimeoutMs. */
export const DEFAULT_IDLE_MS = 1_000;
/** Bytes of a message body kept in the document; the rest is cut (`bodyTruncated: true`). */
export const MAX_STORED_BODY_BYTES = 256 * 1024;

/** The batch-polling settings both queue types share, as parseConfig returns them. */
export interface PollSettings {
  maxMessages: number;
  waitTimeoutMs: number;
  idleMs: number;
}

/** JSON Schema of the polling settings, merged into each queue type's config schema. */
export function pollSchemaProperties(): Record<string, JsonSchema> {
  return {
    maxMessages: {
      type: 'integer',
      title: 'Messages per sync',
      description: 'A sync takes at most this many messages, stores them as documents, then acknowledges them.',
      minimum: 1,
      maximum: MAX_MAX_MESSAGES,
      default: DEFAULT_MAX_MESSAGES,
      examples: [DEFAULT_MAX_MESSAGES],
    },
    waitTimeoutMs: {
      type: 'integer',
      title: 'Wait timeout (ms)',
      description: 'A sync ends after this long even when it has not reached maxMessages.',
      minimum: 100,
      maximum: MAX_WAIT_TIMEOUT_MS,
      default: DEFAULT_WAIT_TIMEOUT_MS,
      examples: [DEFAULT_WAIT_TIMEOUT_MS],
    },
    idleMs: {
      type: 'integer',
      title: 'Idle time (ms)',
      description:
        'A sync also ends once no message has arrived for this long while it could take more: the queue is ' +
        'drained, so an empty queue does not hold the sync for the whole wait timeout.',
      minimum: 50,
      maximum: MAX_WAIT_TIMEOUT_MS,
      default: DEFAULT_IDLE_MS,
      examples: [DEFAULT_IDLE_MS],
    },
  };
}

export function integerIn(
  value: unknown,
  fallback: number,
  min: number,
  max: number,
  field: string,
  problems: FieldProblem[],
): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push({ field: `config.${field}`, messages: [`must be a whole number from ${min} to ${max}`] });
    return fallback;
  }
  return value;
}

/** Reads the polling settings, adding a problem per bad field. */
export function parsePollSettings(config: Record<string, unknown>, problems: FieldProblem[]): PollSettings {
  return {
    maxMessages: integerIn(config.maxMessages, DEFAULT_MAX_MESSAGES, 1, MAX_MAX_MESSAGES, 'maxMessages', problems),
    waitTimeoutMs: integerIn(
      config.waitTimeoutMs,
      DEFAULT_WAIT_TIMEOUT_MS,
      100,
      MAX_WAIT_TIMEOUT_MS,
      'waitTimeoutMs',
      problems,
    ),
    idleMs: integerIn(config.idleMs, DEFAULT_IDLE_MS, 50, MAX_WAIT_TIMEOUT_MS, 'idleMs', problems),
  };
}

/**
 * The body as document content: UTF-8 text when it is valid UTF-8, base64 otherwise, cut at
 * {@link MAX_STORED_BODY_BYTES} so one huge message cannot bloat the metadata store.
 */
export function storedBody(body: Uint8Array): {
  content: string;
  contentEncoding: 'utf-8' | 'base64';
  bodyTruncated: boolean;
} {
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const kept = buffer.subarray(0, MAX_STORED_BODY_BYTES);
  const bodyTruncated = kept.length < buffer.length;
  try {
    // A cut may split a multi-byte character: tolerate an incomplete tail only when cut.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      bodyTruncated ? kept.subarray(0, utf8Boundary(kept)) : kept,
    );
    return { content: text, contentEncoding: 'utf-8', bodyTruncated };
  } catch {
    return { content: kept.toString('base64'), contentEncoding: 'base64', bodyTruncated };
  }
}

/** The length of `bytes` without a trailing, incomplete UTF-8 sequence. */
function utf8Boundary(bytes: Buffer): number {
  let end = bytes.length;
  let back = 0;
  while (end > 0 && back < 4 && (bytes[end - 1] & 0xc0) === 0x80) {
    end--;
    back++;
  }
  if (end > 0 && bytes[end - 1] >= 0xc0) {
    const lead = bytes[end - 1];
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    return back + 1 === need ? bytes.length : end - 1;
  }
  return bytes.length;
}

/** Hex SHA-256 over the parts, each length-prefixed so that no two lists of parts collide. */
export function digest(parts: Array<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    hash.update(`${bytes.byteLength}:`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/** JSON with object keys sorted, so that equal headers always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** What both queue types put into a message document. */
export interface MessageFacts {
  externalId: string;
  name: string;
  body: Uint8Array;
  contentType?: string;
  /** Stable over redeliveries: equal messages upsert as unchanged. */
  checksum: string;
  modifiedAt?: Date;
  metadata: Record<string, unknown>;
}

/** A message as the sync stores it: a `record` document whose content is the body. */
export function messageItem(facts: MessageFacts): DiscoveredItem {
  return {
    externalId: facts.externalId,
    kind: 'record',
    name: facts.name,
    mimeType: facts.contentType || 'application/octet-stream',
    size: facts.body.byteLength,
    checksum: facts.checksum,
    ...(facts.modifiedAt ? { modifiedAt: facts.modifiedAt } : {}),
    metadata: { ...facts.metadata, ...storedBody(facts.body) },
  };
}

/** Why a wait for messages ended. */
export type WaitEnd = 'full' | 'deadline' | 'idle';

/**
 * Deliveries pushed by a client library, taken by the sync a batch at a time. `take` answers
 * when it holds `count` messages, when the sync's deadline passes, or when nothing arrived for
 * `idleMs` (the source is drained), whichever comes first; a failure of the subscription or an
 * aborted signal rejects it.
 */
export class Inbox<M> {
  private readonly held: M[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private lastArrival = Date.now();

  push(message: M): void {
    this.held.push(message);
    this.lastArrival = Date.now();
    this.wake?.();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  /** Messages received beyond what was taken (to give back when the sync ends). */
  get pending(): readonly M[] {
    return this.held;
  }

  async take(
    count: number,
    options: { deadline: number; idleMs: number; signal: AbortSignal },
  ): Promise<{ messages: M[]; end: WaitEnd }> {
    // Idle time counts from when the sync became able to take more, not from an earlier delivery.
    this.lastArrival = Math.max(this.lastArrival, Date.now());
    for (;;) {
      options.signal.throwIfAborted();
      if (this.failure) throw this.failure;
      const now = Date.now();
      const end: WaitEnd | null =
        this.held.length >= count
          ? 'full'
          : now >= options.deadline
            ? 'deadline'
            : now - this.lastArrival >= options.idleMs
              ? 'idle'
              : null;
      if (end) return { messages: this.held.splice(0, count), end };
      const until = Math.min(options.deadline, this.lastArrival + options.idleMs) - now;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', done);
          this.wake = null;
          resolve();
        };
        const timer = setTimeout(done, Math.max(1, until));
        options.signal.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
  }
}
