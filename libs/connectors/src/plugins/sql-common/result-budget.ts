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

/** Reads the sizes that messages of a wire protocol declare in their headers, chunk by chunk. */
export interface DeclaredSizes {
  /** The largest message length declared by a header completed in `chunk` (0 when none). */
  feed(chunk: Buffer): number;
}

/**
 * Walks a stream of length-prefixed messages: each starts with a header of `headerSize` bytes
 * from which `bodyLength` reads how many bytes follow it. Must see the stream from a message
 * boundary on.
 */
abstract class HeaderSizes implements DeclaredSizes {
  private readonly header: Buffer;
  private headerBytes = 0;
  /** Bytes of the current message's body still to come. */
  private remaining = 0;

  constructor(private readonly headerSize: number) {
    this.header = Buffer.alloc(headerSize);
  }

  /** The bytes that follow a message's header, read from that header. */
  protected abstract bodyLength(header: Buffer): number;

  feed(chunk: Buffer): number {
    let largest = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - at);
        at += skip;
        this.remaining -= skip;
        continue;
      }
      const take = Math.min(this.headerSize - this.headerBytes, chunk.length - at);
      chunk.copy(this.header, this.headerBytes, at, at + take);
      this.headerBytes += take;
      at += take;
      if (this.headerBytes === this.headerSize) {
        this.headerBytes = 0;
        this.remaining = this.bodyLength(this.header);
        largest = Math.max(largest, this.headerSize + this.remaining);
      }
    }
    return largest;
  }
}

/**
 * The framing of PostgreSQL's protocol after start-up: each message is a type byte, then its
 * length as an int32 that counts itself but not the type byte.
 */
export class PgMessageSizes extends HeaderSizes {
  constructor() {
    super(5);
  }

  protected bodyLength(header: Buffer): number {
    return Math.max(0, header.readUInt32BE(1) - 4);
  }
}

/**
 * The framing of MySQL's protocol (uncompressed): each packet is its length as 3 bytes,
 * little-endian, then a sequence byte. A row of 16 MiB or more spans several packets, the first
 * of which declares 16 MiB.
 */
export class MysqlPacketSizes extends HeaderSizes {
  constructor() {
    super(4);
  }

  protected bodyLength(header: Buffer): number {
    return header.readUIntLE(0, 3);
  }
}

/**
 * Counts the bytes arriving on a driver's socket and destroys it once `limit` is crossed: the
 * one way to stop a server in the middle of a row larger than the budget, since drivers read a
 * whole row message before handing it over. The connection is then unusable and must be dropped.
 *
 * With `sizes`, a message whose header declares more than `limit` bytes is cut as soon as its
 * header arrives: the connection would be cut before its end anyway, and until then the driver
 * would gather it on the event loop (copying a growing buffer, megabytes per row).
 */
export class WireGuard {
  received = 0;
  cut = false;
  private readonly onData = (chunk: Buffer): void => {
    if (this.cut) return;
    this.received += chunk.length;
    if (this.received > this.limit || (this.sizes && this.sizes.feed(chunk) > this.limit)) {
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
    private readonly sizes?: DeclaredSizes,
  ) {
    // Before the driver's own listener, so a message declared too large never reaches its parser.
    socket?.prependListener('data', this.onData);
  }

  stop(): void {
    this.socket?.off('data', this.onData);
  }
}
