import { Injectable } from '@nestjs/common';
import { BadRequestError, DomainError } from '@sluice/core';
import type { Readable } from 'node:stream';
import { BINARY_ENCODING, isTextMimeType, isWideEncoding } from './content-sniffing';
import { decodeInPieces } from './decode-pieces';
import type { FileStorage } from './file-storage';
import { LineIndex, lineIndexKey } from './line-index';
import type { StoredFile } from './upload.service';

export const DEFAULT_LINE_LIMIT = 100;
export const MAX_LINE_LIMIT = 10_000;
/** Most bytes one call returns, for byte windows and (as a cut-off) for line windows. */
export const MAX_WINDOW_BYTES = 10 * 1024 * 1024;
/** What a call without a window returns of a binary file. */
export const DEFAULT_BINARY_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/** A slice of a stored file: lines (`offset`/`limit`) or bytes (`bytesStart`/`bytesEnd`), not both. */
export interface ContentWindow {
  /** First line, 0-based. Default 0. */
  offset?: number;
  /** Lines to return, 1 to 10,000. Default 100. */
  limit?: number;
  /** First byte, 0-based. */
  bytesStart?: number;
  /** Last byte, inclusive. At most 10 MiB after `bytesStart`; clamped to the end of the file. */
  bytesEnd?: number;
}

export interface ChunkInfo {
  mode: 'lines' | 'bytes';
  /** The line window asked for; null for a byte window. */
  offset: number | null;
  limit: number | null;
  totalLines: number;
  /** Lines actually returned (fewer than `limit` at the end of the file). */
  returnedLines?: number;
  /** The bytes actually returned, inclusive; absent for an empty result. */
  bytesStart?: number;
  bytesEnd?: number;
  /** More content follows the window. */
  hasMore: boolean;
  /** The line window hit the 10 MiB cut-off; continue with a byte window from `bytesEnd + 1`. */
  truncated?: boolean;
}

export interface FileContent {
  content: string;
  /** The decoder used, or `base64` when the content is binary and came back base64-encoded. */
  encoding: string;
  contentType: string;
  totalSize: number;
  chunkInfo: ChunkInfo;
}

/** The parts of a {@link StoredFile} a read needs. */
export type ReadableFile = Pick<StoredFile, 'key' | 'size' | 'mimeType' | 'encoding' | 'lineCount'>;

function badWindow(message: string): BadRequestError {
  return new BadRequestError('INVALID_CONTENT_WINDOW', message);
}

function checkInteger(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value)) throw badWindow(`${name} must be an integer`);
  if (value < min || value > max) throw badWindow(`${name} must be between ${min} and ${max}`);
}

async function readParts(stream: Readable): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return parts;
}

const lengthOf = (parts: readonly Buffer[]): number => parts.reduce((sum, part) => sum + part.length, 0);

/**
 * Reads windows of a stored file without loading it: line windows jump to the nearest entry of
 * the file's line index and read forward only as far as the window needs, so line 900,000 of a
 * 1 GiB file costs about the window plus at most 999 skipped lines.
 */
@Injectable()
export class ContentReader {
  async read(storage: FileStorage, stored: ReadableFile, window: ContentWindow = {}): Promise<FileContent> {
    const byteWindow = window.bytesStart !== undefined || window.bytesEnd !== undefined;
    const lineWindow = window.offset !== undefined || window.limit !== undefined;
    if (byteWindow && lineWindow) throw badWindow('Use either offset/limit or bytesStart/bytesEnd, not both');
    const text = isTextMimeType(stored.mimeType) && stored.encoding !== BINARY_ENCODING;
    // Line windows split on 0x0A, which is only a newline in ASCII-compatible encodings.
    const byLines = text && !isWideEncoding(stored.encoding);
    if (lineWindow && !byLines) {
      throw badWindow('Line windows apply to text files; use bytesStart/bytesEnd for this file');
    }
    if (byteWindow || !byLines) {
      const end = byteWindow ? window.bytesEnd : Math.max(0, Math.min(stored.size, DEFAULT_BINARY_BYTES) - 1);
      return this.readBytes(storage, stored, window.bytesStart ?? 0, end, text);
    }
    return this.readLines(storage, stored, window.offset ?? 0, window.limit ?? DEFAULT_LINE_LIMIT);
  }

  private async readBytes(
    storage: FileStorage,
    stored: ReadableFile,
    start: number,
    requestedEnd: number | undefined,
    text: boolean,
  ): Promise<FileContent> {
    checkInteger('bytesStart', start, 0);
    checkInteger('bytesEnd', requestedEnd, 0);
    if (requestedEnd !== undefined && requestedEnd < start) {
      throw badWindow('bytesEnd must not be before bytesStart');
    }
    const wanted = requestedEnd ?? start + MAX_WINDOW_BYTES - 1;
    if (wanted - start + 1 > MAX_WINDOW_BYTES) {
      throw badWindow(`A byte window may span at most ${MAX_WINDOW_BYTES} bytes (10 MiB)`);
    }
    if (start > 0 && start >= stored.size) {
      throw badWindow(`bytesStart is past the end of the file (${stored.size} bytes)`);
    }
    const end = Math.min(wanted, stored.size - 1);
    const parts = end < start ? [] : await readParts(await storage.createReadStream(stored.key, { start, end }));
    const length = lengthOf(parts);
    return {
      content: await decodeInPieces(parts, text ? stored.encoding : 'base64'),
      encoding: text ? stored.encoding : 'base64',
      contentType: stored.mimeType,
      totalSize: stored.size,
      chunkInfo: {
        mode: 'bytes',
        offset: null,
        limit: null,
        totalLines: stored.lineCount,
        ...(length > 0 ? { bytesStart: start, bytesEnd: start + length - 1 } : {}),
        hasMore: start + length < stored.size,
      },
    };
  }

  private async readLines(
    storage: FileStorage,
    stored: ReadableFile,
    offset: number,
    limit: number,
  ): Promise<FileContent> {
    checkInteger('offset', offset, 0);
    checkInteger('limit', limit, 1, MAX_LINE_LIMIT);
    const totalLines = stored.lineCount;
    const returnedLines = Math.max(0, Math.min(limit, totalLines - offset));
    let parts: Buffer[] = [];
    let firstByte = 0;
    let truncated = false;
    if (returnedLines > 0) {
      const start = await this.seek(storage, stored.key, offset);
      ({ parts, firstByte, truncated } = await this.scan(storage, stored.key, start, offset, returnedLines));
    }
    const length = lengthOf(parts);
    return {
      content: await decodeInPieces(parts, stored.encoding),
      encoding: stored.encoding,
      contentType: stored.mimeType,
      totalSize: stored.size,
      chunkInfo: {
        mode: 'lines',
        offset,
        limit,
        totalLines,
        returnedLines,
        ...(length > 0 ? { bytesStart: firstByte, bytesEnd: firstByte + length - 1 } : {}),
        hasMore: truncated || offset + returnedLines < totalLines,
        ...(truncated ? { truncated } : {}),
      },
    };
  }

  /** The indexed line start at or before `line`; the top of the file when there is no index. */
  private async seek(storage: FileStorage, key: string, line: number): Promise<{ line: number; offset: number }> {
    let raw: Buffer;
    try {
      raw = Buffer.concat(await readParts(await storage.createReadStream(lineIndexKey(key))));
    } catch (error) {
      // A file stored before indexing existed, or whose index was lost: slower, still correct.
      if (error instanceof DomainError && error.status === 404) return { line: 0, offset: 0 };
      throw error;
    }
    return LineIndex.fromBuffer(raw).locate(line);
  }

  /**
   * Reads forward from an indexed line start: skips to `offset`, then collects `count` lines.
   * The stream is dropped as soon as the window is complete.
   */
  private async scan(
    storage: FileStorage,
    key: string,
    start: { line: number; offset: number },
    offset: number,
    count: number,
  ): Promise<{ parts: Buffer[]; firstByte: number; truncated: boolean }> {
    const stream = await storage.createReadStream(key, { start: start.offset });
    let toSkip = offset - start.line;
    let toTake = count;
    let position = start.offset;
    let firstByte = -1;
    let collected = 0;
    let truncated = false;
    const parts: Buffer[] = [];
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        let from = 0;
        while (toSkip > 0 && from < chunk.length) {
          const newline = chunk.indexOf(NEWLINE, from);
          if (newline === -1) from = chunk.length;
          else {
            from = newline + 1;
            toSkip--;
          }
        }
        if (toSkip > 0 || from === chunk.length) {
          position += chunk.length;
          continue;
        }
        if (firstByte < 0) firstByte = position + from;
        let to = from;
        while (toTake > 0) {
          const newline = chunk.indexOf(NEWLINE, to);
          if (newline === -1) {
            to = chunk.length;
            break;
          }
          to = newline + 1;
          toTake--;
        }
        const room = MAX_WINDOW_BYTES - collected;
        if (to - from > room) {
          parts.push(chunk.subarray(from, from + room));
          truncated = true;
          break;
        }
        parts.push(chunk.subarray(from, to));
        collected += to - from;
        position += chunk.length;
        if (toTake === 0) break;
      }
    } finally {
      stream.destroy();
    }
    // The newline ending the window's last line separates it from what follows; it is not content.
    while (parts.length && parts[parts.length - 1].length === 0) parts.pop();
    const last = parts[parts.length - 1];
    if (!truncated && last && last[last.length - 1] === NEWLINE) parts[parts.length - 1] = last.subarray(0, -1);
    return { parts, firstByte: Math.max(firstByte, 0), truncated };
  }
}
