import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { EnvDto, BadRequestError, PayloadTooLargeError, randomAlphanumeric } from '@sluice/core';
import * as mime from 'mime-types';
import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BINARY_ENCODING,
  detectEncoding,
  detectMimeType,
  isCsv,
  isTextMimeType,
  normaliseEncoding,
  parseContentType,
  SNIFF_BYTES,
} from './content-sniffing';
import type { FileStorage, StorageWriter } from './file-storage';
import { FILE_STORAGE } from './file-storage.provider';
import { DigestThread } from './digest-thread';
import { lineIndexKey } from './line-index';
import { InlineDigest, type UploadDigest } from './upload-digest';

/** What the client said about an upload; everything else is measured. */
export interface UploadOptions {
  /** Original name; drives the MIME type and the CSV row count. */
  fileName?: string;
  /** Wins over detection, e.g. `latin1`, `iso-8859-1`, `windows-1252`, `utf-8`. */
  declaredEncoding?: string;
  /** Request or connector content type; a `charset` parameter counts as a declared encoding. */
  contentType?: string;
  /** The Content-Length header: an upload announced as too large is refused before any read. */
  contentLength?: number;
  /** Aborts the write (temp file removed) when the caller gives up. */
  signal?: AbortSignal;
}

/** One uploaded file as stored; JSON-safe so it can be kept in the connector's config. */
export interface StoredFile {
  /** Storage key, `<tenantId>/<connectorId>/<unique name>`; its line index sits at `<key>.lines`. */
  key: string;
  fileName: string;
  size: number;
  /** Hex SHA-256 of the bytes as stored. */
  sha256: string;
  mimeType: string;
  /** A `TextDecoder` name, or `binary` for content that is not text. */
  encoding: string;
  lineCount: number;
  /** ISO 8601. */
  lastModified: string;
  /** Lines minus the header, for CSV files only. */
  csvRowCount?: number;
}

const ID_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_NAME_LENGTH = 255;
const MAX_KEY_NAME_LENGTH = 100;

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError('FILE_TOO_LARGE', `File is larger than MAX_UPLOAD_BYTES (${maxBytes} bytes)`);
}

/**
 * Uploads announced smaller than this are hashed and indexed on the event loop (a few
 * milliseconds of work); larger ones, and those of unknown length, on the digest thread.
 */
export const THREAD_DIGEST_MIN_BYTES = 4 * 1024 * 1024;

/**
 * Chunks the inspector holds on each side: a body read in 64 KiB chunks keeps flowing while the
 * file write and the digest thread catch up, instead of pausing the socket at every chunk.
 */
const INSPECTOR_HIGH_WATER_MARK = 1024 * 1024;

/** Everything the upload needs to know, measured in the one pass over the body. */
class UploadInspector extends Transform {
  private readonly sampleParts: Buffer[] = [];
  private sampled = 0;
  private received = 0;

  constructor(
    private readonly maxBytes: number,
    readonly digest: UploadDigest,
  ) {
    super({ readableHighWaterMark: INSPECTOR_HIGH_WATER_MARK, writableHighWaterMark: INSPECTOR_HIGH_WATER_MARK });
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // Checked before the chunk is passed on, so not one byte past the limit reaches the disk.
    if (this.received + bytes.length > this.maxBytes) return callback(tooLarge(this.maxBytes));
    this.received += bytes.length;
    if (this.sampled < SNIFF_BYTES) {
      const part = Buffer.from(bytes.subarray(0, SNIFF_BYTES - this.sampled));
      this.sampleParts.push(part);
      this.sampled += part.length;
    }
    let behind: void | Promise<void>;
    try {
      behind = this.digest.update(bytes);
    } catch (error) {
      return callback(error as Error);
    }
    // The chunk goes on as it is: the digest copies what it keeps, and storage gets no copy.
    if (behind) behind.then(() => callback(null, bytes), callback);
    else callback(null, bytes);
  }

  get sample(): Buffer {
    return Buffer.concat(this.sampleParts);
  }
}

/** The name a person gave the file, without any directory part or control characters. */
function displayName(fileName: string | undefined, mimeType: string | undefined): string {
  const base = (fileName ?? '')
    .split(/[\\/]/)
    .pop()!
    .replace(/\p{Cc}/gu, '')
    .trim();
  if (base && base !== '.' && base !== '..') return base.slice(0, MAX_NAME_LENGTH);
  const extension = mimeType ? mime.extension(parseContentType(mimeType).type) : false;
  return extension ? `upload.${extension}` : 'upload';
}

/** A storage-safe name that keeps the extension, unique per upload so a re-upload never collides. */
function storageName(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const extension =
    dot > 0
      ? fileName
          .slice(dot)
          .replace(/[^A-Za-z0-9.]/g, '')
          .slice(0, 16)
      : '';
  const stem = (dot > 0 ? fileName.slice(0, dot) : fileName)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, MAX_KEY_NAME_LENGTH);
  return `${Date.now().toString(36)}-${randomAlphanumeric(8)}-${stem || 'upload'}${extension}`;
}

/**
 * Streams an upload into {@link FileStorage} in one pass: size limit, SHA-256, line index, MIME
 * and encoding detection. Either the whole file (and its line index) is stored or nothing is.
 *
 * The body is never destroyed here, so the caller can still answer (e.g. 413) on the same
 * connection; Node closes it after the answer since the rest of the body is unread.
 */
@Injectable()
export class UploadService implements OnModuleDestroy {
  private readonly digests = new DigestThread();

  constructor(
    private readonly env: EnvDto,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await this.digests.close();
  }

  async store(tenantId: string, connectorId: string, body: Readable, options: UploadOptions = {}): Promise<StoredFile> {
    for (const [name, value] of [
      ['tenantId', tenantId],
      ['connectorId', connectorId],
    ]) {
      if (!ID_SEGMENT.test(value)) throw new BadRequestError('INVALID_ID', `${name} is not a valid id`);
    }
    const declaredEncoding = this.declaredEncoding(options);
    const maxBytes = this.env.MAX_UPLOAD_BYTES;
    if (options.contentLength !== undefined && options.contentLength > maxBytes) throw tooLarge(maxBytes);

    const key = `${tenantId}/${connectorId}/${storageName(displayName(options.fileName, options.contentType))}`;
    const small = options.contentLength !== undefined && options.contentLength < THREAD_DIGEST_MIN_BYTES;
    const inspector = new UploadInspector(maxBytes, small ? new InlineDigest() : this.digests.digest());
    // pipe() rather than pipeline() for the body: pipeline would destroy the request (and with it
    // the socket) on a size error. finished() still turns a client disconnect into an error here.
    finished(body, (error) => {
      if (error) inspector.destroy(error);
    });
    let writer: StorageWriter;
    try {
      writer = await this.storage.createWriter(key);
    } catch (error) {
      inspector.digest.abort();
      throw error;
    }
    const indexKey = lineIndexKey(key);
    try {
      body.pipe(inspector);
      await pipeline(inspector, writer.stream, options.signal ? { signal: options.signal } : {});

      const sample = inspector.sample;
      const mimeType = detectMimeType(sample, options.fileName, options.contentType);
      const text = isTextMimeType(mimeType);
      const encoding = text ? (declaredEncoding ?? detectEncoding(sample)) : BINARY_ENCODING;
      const fileName = displayName(options.fileName, mimeType);
      const { sha256, index } = await inspector.digest.finish();
      const lineCount = index.lineCount;

      await this.storage.put(indexKey, index.toBuffer());
      const stat = await writer.commit();
      return {
        key,
        fileName,
        size: stat.size,
        sha256,
        mimeType,
        encoding,
        lineCount,
        lastModified: stat.lastModified.toISOString(),
        // Counts physical lines: a quoted field spanning lines is counted once per line it spans.
        // Exact only for CSV without embedded newlines, which is most exports; parsing every
        // quote of a 1 GiB upload for a display figure is not worth it.
        ...(isCsv(mimeType, fileName) ? { csvRowCount: Math.max(0, lineCount - 1) } : {}),
      };
    } catch (error) {
      body.unpipe(inspector);
      inspector.digest.abort();
      // A failed clean-up must not hide why the upload failed; the temp name is never served.
      await writer.abort().catch(() => undefined);
      await this.storage.delete(indexKey).catch(() => undefined);
      throw error;
    }
  }

  /** Removes one stored file and its line index (e.g. the previous file after a re-upload). */
  async discard(key: string): Promise<void> {
    await Promise.all([this.storage.delete(key), this.storage.delete(lineIndexKey(key))]);
  }

  /** Removes every file of a connector, when the connector is deleted. */
  async discardConnector(tenantId: string, connectorId: string): Promise<void> {
    if (!ID_SEGMENT.test(tenantId) || !ID_SEGMENT.test(connectorId)) {
      throw new BadRequestError('INVALID_ID', 'tenantId or connectorId is not a valid id');
    }
    await this.storage.deletePrefix(`${tenantId}/${connectorId}/`);
  }

  private declaredEncoding(options: UploadOptions): string | undefined {
    const declared = options.declaredEncoding?.trim() || parseContentType(options.contentType).charset;
    if (!declared) return undefined;
    const encoding = normaliseEncoding(declared);
    if (!encoding) {
      throw new BadRequestError('UNSUPPORTED_ENCODING', `Encoding "${declared.slice(0, 40)}" is not supported`, [
        { field: 'encoding', messages: ['must be an encoding such as utf-8, latin1 or windows-1252'] },
      ]);
    }
    return encoding;
  }
}
