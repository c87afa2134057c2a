import { BadRequestError } from '@sluice/core';
import type { Readable } from 'node:stream';
import {
  ContentWindow,
  DEFAULT_BINARY_BYTES,
  DEFAULT_LINE_LIMIT,
  MAX_LINE_LIMIT,
  MAX_WINDOW_BYTES,
} from './content-reader';
import { decodeInPieces } from './decode-pieces';
import { detectEncoding, isTextMimeType, isWideEncoding, looksBinary, SNIFF_BYTES } from './content-sniffing';

/** How to open the source file, optionally a byte range (inclusive end). */
export type OpenRange = (range?: { start?: number; end?: number }) => Promise<Readable>;

export interface StreamWindowResult {
  content: string;
  encoding: string;
  contentType: string;
  totalSize: number | null;
  chunkInfo: {
    mode: 'lines' | 'bytes';
    offset: number | null;
    limit: number | null;
    /** Unknown for files that were never indexed. */
    totalLines: null;
    returnedLines?: number;
    bytesStart?: number;
    bytesEnd?: number;
    hasMore: boolean;
    /** The line window hit the 10 MiB cut-off; continue with a later offset or a byte window. */
    truncated?: boolean;
  };
}

const bad = (message: string) => new BadRequestError('INVALID_CONTENT_WINDOW', message);

function integer(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min || value > max)) {
    throw bad(`${name} must be an integer between ${min} and ${max}`);
  }
}

async function readUpTo(stream: Readable, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    parts.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= limit) break;
  }
  stream.destroy();
  return Buffer.concat(parts).subarray(0, limit);
}

/** What the first bytes of the file told: how to decode it, and whether it has lines. */
interface Sniffed {
  text: boolean;
  encoding: string;
}

/**
 * Windows of a file that has no line index (a folder connector's files): a line window reads
 * from the start only until the window is filled, then stops; a byte window reads that range.
 */
export async function readStreamWindow(
  open: OpenRange,
  file: { mimeType: string; size: number | null },
  window: ContentWindow,
): Promise<StreamWindowResult> {
  const byteWindow = window.bytesStart !== undefined || window.bytesEnd !== undefined;
  const lineWindow = window.offset !== undefined || window.limit !== undefined;
  if (byteWindow && lineWindow) throw bad('Use either offset/limit or bytesStart/bytesEnd, not both');
  const sample = await readUpTo(await open({ start: 0, end: SNIFF_BYTES - 1 }), SNIFF_BYTES);
  const text = isTextMimeType(file.mimeType) && !looksBinary(sample);
  const sniffed: Sniffed = { text, encoding: text ? detectEncoding(sample) : 'base64' };
  const byLines = text && !isWideEncoding(sniffed.encoding);
  if (lineWindow && !byLines) throw bad('Line windows apply to text files; use bytesStart/bytesEnd for this file');
  return byteWindow || !byLines
    ? readByteWindow(open, file, window, sniffed, byteWindow)
    : readLineWindow(open, file, window, sniffed.encoding);
}

/** A byte range: the one asked for, or the first bytes of a file that is not read by lines. */
async function readByteWindow(
  open: OpenRange,
  file: { mimeType: string; size: number | null },
  window: ContentWindow,
  { text, encoding }: Sniffed,
  asked: boolean,
): Promise<StreamWindowResult> {
  const start = window.bytesStart ?? 0;
  integer('bytesStart', start, 0);
  integer('bytesEnd', window.bytesEnd, start);
  const end = window.bytesEnd ?? start + (asked ? MAX_WINDOW_BYTES : DEFAULT_BINARY_BYTES) - 1;
  if (end - start + 1 > MAX_WINDOW_BYTES)
    throw bad(`A byte window may span at most ${MAX_WINDOW_BYTES} bytes (10 MiB)`);
  const bytes = await readUpTo(await open({ start, end }), end - start + 1);
  return {
    content: await decodeInPieces([bytes], text ? encoding : 'base64'),
    encoding,
    contentType: file.mimeType,
    totalSize: file.size,
    chunkInfo: {
      mode: 'bytes',
      offset: null,
      limit: null,
      totalLines: null,
      ...(bytes.length ? { bytesStart: start, bytesEnd: start + bytes.length - 1 } : {}),
      hasMore: file.size === null ? bytes.length === end - start + 1 : start + bytes.length < file.size,
    },
  };
}

async function readLineWindow(
  open: OpenRange,
  file: { mimeType: string; size: number | null },
  window: ContentWindow,
  encoding: string,
): Promise<StreamWindowResult> {
  const offset = window.offset ?? 0;
  const limit = window.limit ?? DEFAULT_LINE_LIMIT;
  integer('offset', offset, 0);
  integer('limit', limit, 1, MAX_LINE_LIMIT);
  const { lines, hasMore, truncated } = await collectLines(await open(), offset, limit);
  const newline = Buffer.from('\n');
  return {
    content: await decodeInPieces(
      lines.flatMap((line, i) => (i ? [newline, line] : [line])),
      encoding,
    ),
    encoding,
    contentType: file.mimeType,
    totalSize: file.size,
    chunkInfo: {
      mode: 'lines',
      offset,
      limit,
      totalLines: null,
      returnedLines: lines.length,
      hasMore,
      ...(truncated ? { truncated } : {}),
    },
  };
}

/**
 * Lines `offset` to `offset + limit - 1` of the stream. Lines before the window are skipped as
 * they stream past; reading stops one line after it, or at the line that would take the window
 * past MAX_WINDOW_BYTES (a line window holds at most 10 MiB, like a byte window).
 */
async function collectLines(
  stream: Readable,
  offset: number,
  limit: number,
): Promise<{ lines: Buffer[]; hasMore: boolean; truncated: boolean }> {
  const lines: Buffer[] = [];
  let line = 0;
  let carry = Buffer.alloc(0);
  let hasMore = false;
  let collected = 0;
  let truncated = false;
  outer: for await (const chunk of stream) {
    let buffer = Buffer.concat([carry, chunk as Buffer]);
    let newline: number;
    while ((newline = buffer.indexOf(0x0a)) !== -1) {
      if (line >= offset + limit) {
        hasMore = true;
        break outer;
      }
      if (line >= offset) {
        if (collected + newline + 1 > MAX_WINDOW_BYTES && lines.length > 0) {
          hasMore = truncated = true;
          break outer;
        }
        lines.push(buffer.subarray(0, newline));
        collected += newline + 1;
      }
      line++;
      buffer = buffer.subarray(newline + 1);
    }
    carry = buffer;
    if (line >= offset && collected + carry.length > MAX_WINDOW_BYTES && lines.length > 0) {
      hasMore = truncated = true;
      carry = Buffer.alloc(0);
      break;
    }
    if (carry.length > MAX_WINDOW_BYTES) throw bad('A line is longer than 10 MiB; use a byte window');
  }
  stream.destroy();
  if (!hasMore && carry.length > 0 && line >= offset && line < offset + limit) lines.push(carry);
  else if (!hasMore && carry.length > 0 && line >= offset + limit) hasMore = true;
  return { lines, hasMore, truncated };
}
