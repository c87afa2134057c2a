import type { Socket } from 'node:net';
import type { QueryResult } from '../../plugin/connector-plugin';
import { toJsonRow } from './json-values';

export type TruncatedReason = NonNullable<QueryResult['truncatedReason']>;

/** Bytes a value takes in the JSON answer, close enough to budget by (strings counted in UTF-8). */
export function jsonSize(value: unknown): number {
  if (value === null || value === undefined) return 4;
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value, 'utf8') + 2;
    case 'number':
    case 'boolean':
      return String(value).length;
    default:
      return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
  }
}

/**
 * The rows of one result as they stream in, within a row cap and a byte budget: the first row
 * that would cross either is not kept, and the reason is remembered so the driver can stop
 * reading. Rows are converted to JSON values on the way in, so what is counted is what is sent.
 */
export class ResultBudget {
  readonly rows: unknown[][] = [];
  bytes = 0;
  reason: TruncatedReason | null = null;

  constructor(
    readonly maxRows: number,
    readonly maxBytes: number,
  ) {}

  get full(): boolean {
    return this.reason !== null;
  }

  /** Keeps the row if it fits; false (and `reason` set) once the result is full. */
  add(row: unknown[]): boolean {
    if (this.reason) return false;
    if (this.rows.length >= this.maxRows) {
      this.reason = 'rows';
      return false;
    }
    const converted = toJsonRow(row);
    let size = 2 + converted.length;
    for (const value of converted) size += jsonSize(value);
    if (this.bytes + size > this.maxBytes) {
      this.reason = 'bytes';
      return false;
    }
    this.bytes += size;
    this.rows.push(converted);
    return true;
  }

  /** Marks the result cut for its size by something other than a row (the wire guard). */
  cutForBytes(): void {
    this.reason ??= 'bytes';
  }
}

/**
 * Bytes allowed on the wire for a result of `maxBytes`: room for protocol framing and text
 * encodings larger than the JSON (bytea as hex), yet bounded, so one huge row never lands whole.
 */
export function wireLimit(maxBytes: number): number {
  return maxBytes * 2 + 1024 * 1024;
}

/**
 * Counts the bytes arriving on a driver's socket and destroys it once `limit` is crossed: the
 * one way to stop a server in the middle of a row larger than the budget, since drivers read a
 * whole row message before handing it over. The connection is then unusable and must be dropped.
 */
export class WireGuard {
  received = 0;
  cut = false;
  private readonly onData = (chunk: Buffer): void => {
    this.received += chunk.length;
    if (!this.cut && this.received > this.limit) {
      this.cut = true;
      this.beforeCut?.();
      this.socket?.destroy();
    }
  };

  constructor(
    private readonly socket: Socket | undefined,
    private readonly limit: number,
    /** Runs just before the socket is destroyed: the driver's error listener, say. */
    private readonly beforeCut?: () => void,
  ) {
    socket?.on('data', this.onData);
  }

  stop(): void {
    this.socket?.off('data', this.onData);
  }
}
