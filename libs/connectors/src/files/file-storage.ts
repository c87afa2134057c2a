import { assertByteRange } from './byte-range';
import { Injectable } from '@nestjs/common';
import { BadRequestError, NotFoundError, EnvDto } from '@sluice/core';
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Size and modification time of one stored object. */
export interface StoredObjectStat {
  size: number;
  lastModified: Date;
}

/** Inclusive byte positions, as in HTTP ranges; an omitted end reads to the end of the object. */
export interface StorageRange {
  start?: number;
  end?: number;
}

/**
 * A write in progress. Nothing is visible under the key until {@link commit}; {@link abort} (or a
 * crash) leaves nothing under it. Maps onto a temp file + rename locally and onto a multipart
 * upload on S3.
 */
export interface StorageWriter {
  /** Pipe the bytes here; `commit` may only be called once it has finished. */
  readonly stream: Writable;
  commit(): Promise<StoredObjectStat>;
  /** Safe to call at any point, twice, or after a failed commit. */
  abort(): Promise<void>;
}

/**
 * Where uploaded files live. Keys are `<tenantId>/<connectorId>/<name>`; every driver refuses
 * keys that could escape its root. Stream-based so that no driver ever holds a whole file.
 */
export interface FileStorage {
  createWriter(key: string): Promise<StorageWriter>;
  /** All-or-nothing: if `body` fails, nothing is left under `key`. */
  put(key: string, body: Readable | Uint8Array): Promise<StoredObjectStat>;
  /** Rejects with NotFoundError when the key holds nothing. */
  createReadStream(key: string, range?: StorageRange): Promise<Readable>;
  /** Null when the key holds nothing. */
  stat(key: string): Promise<StoredObjectStat | null>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every key starting with `prefix` (e.g. `ten_x/conn_y/` when a connector goes). */
  deletePrefix(prefix: string): Promise<void>;
  /** Where a key lives on this machine's disk, for engines that must open a file (SQLite); null when remote. */
  localPath(key: string): string | null;
}

const MAX_KEY_LENGTH = 1024;
const MAX_SEGMENT_BYTES = 255;

/**
 * Throws unless `key` is a relative, normalised path of plain segments. Checked on the string
 * itself so that every driver (local or S3) gives the same answer.
 */
export function assertStorageKey(key: string, { allowTrailingSlash = false } = {}): string[] {
  const refuse = (why: string): never => {
    throw new BadRequestError('INVALID_STORAGE_KEY', `Invalid storage key: ${why}`);
  };
  if (typeof key !== 'string' || key.length === 0) refuse('empty');
  if (key.length > MAX_KEY_LENGTH) refuse(`longer than ${MAX_KEY_LENGTH} characters`);
  if (key.includes('\0')) refuse('contains a NUL character');
  // A backslash is a separator on Windows and an ordinary character on S3: refuse the ambiguity.
  if (key.includes('\\')) refuse('contains a backslash');
  if (key.startsWith('/') || isAbsolute(key)) refuse('must be relative');
  const body = allowTrailingSlash && key.endsWith('/') ? key.slice(0, -1) : key;
  const segments = body.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') refuse('empty, "." or ".." segment');
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) refuse(`a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return segments;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

async function ignoreMissing(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

/** A rename is only durable once the directory entry itself has reached the disk. */
async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Bytes a write stream holds before it asks for a pause. Chunks that arrive while a write is on
 * the disk thread go down together in one writev: a 1 GiB upload in 64 KiB chunks was 16,384
 * separate writes, each a thread-pool round trip on the event loop (about 0.6 s of it).
 */
export const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Once this much has been written since the last flush, a flush of the file starts behind the
 * writes. The kernel starts writing back on its own only past a share of the machine's memory
 * (gigabytes), so a large file would otherwise reach the disk all at once in the final fsync.
 */
export const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Appends to a file it owns. Chunks queued during a write go down in one writev; a flush
 * (fdatasync) runs in the background every {@link FLUSH_EVERY_BYTES}, so the disk works while the
 * body still arrives and {@link finishAndSync} only waits for the tail.
 */
export class FileSink extends Writable {
  private position = 0;
  private flushedAt = 0;
  private flushing: Promise<void> | null = null;
  private flushError: Error | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly handle: FileHandle,
    private readonly flushEvery = FLUSH_EVERY_BYTES,
  ) {
    // Not destroyed on finish: the owner still syncs the file, then closes it (or aborts).
    super({ highWaterMark: WRITE_HIGH_WATER_MARK, autoDestroy: false });
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.append([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.append(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    // A background flush must not still be using the handle when its owner syncs and closes it.
    (this.flushing ?? Promise.resolve()).then(() => callback(this.flushError), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.close().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }

  /** Once the stream has finished: the whole file on the disk (fsync), then the file closed. */
  async finishAndSync(): Promise<void> {
    if (!this.writableFinished) throw new Error('Cannot sync before the write stream has finished');
    if (this.flushError) throw this.flushError;
    await this.handle.sync();
    await this.close();
  }

  /** Closes the file once; safe to call again, and after a failed write. */
  close(): Promise<void> {
    this.closing ??= (this.flushing ?? Promise.resolve()).then(() => this.handle.close());
    return this.closing;
  }

  private append(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.flushError) return callback(this.flushError);
    // At the file's own offset (the file is this sink's alone): on ext4 here, pwritev with an
    // explicit position took five times the kernel time of writev for the same bytes.
    const write = buffers.length === 1 ? this.handle.write(buffers[0]) : this.handle.writev(buffers);
    write.then(({ bytesWritten }) => {
      this.position += bytesWritten;
      const expected = buffers.reduce((sum, b) => sum + b.length, 0);
      // libuv writes the whole of each request unless the disk fails; never lose bytes quietly.
      if (bytesWritten !== expected) return callback(new Error(`Short write: ${bytesWritten} of ${expected} bytes`));
      this.flushInBackground();
      callback();
    }, callback);
  }

  private flushInBackground(): void {
    if (this.flushing || this.position - this.flushedAt < this.flushEvery) return;
    const upTo = this.position;
    this.flushing = this.handle.datasync().then(
      () => {
        this.flushedAt = upTo;
        this.flushing = null;
      },
      (error: Error) => {
        // Reported by the next write or by the final sync: a flush failing is a write failing.
        this.flushError = error;
        this.flushing = null;
      },
    );
  }
}

class LocalStorageWriter implements StorageWriter {
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly stream: FileSink,
    private readonly temp: string,
    private readonly target: string,
  ) {}

  async commit(): Promise<StoredObjectStat> {
    if (this.state !== 'open') throw new Error(`Cannot commit a write that is ${this.state}`);
    if (!this.stream.writableFinished) throw new Error('Cannot commit before the write stream has finished');
    await this.stream.finishAndSync();
    await rename(this.temp, this.target);
    this.state = 'committed';
    await fsyncDirectory(dirname(this.target));
    const info = await stat(this.target);
    return { size: info.size, lastModified: info.mtime };
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.stream.destroy();
    await this.stream.close().catch(() => undefined);
    await ignoreMissing(unlink(this.temp));
  }
}

/**
 * {@link FileStorage} in a local directory (`STORAGE_DIR`). Fine for one machine or a shared
 * POSIX volume; several machines without a shared volume need the S3 driver.
 */
@Injectable()
export class LocalFileStorage implements FileStorage {
  private readonly root: string;

  constructor(env: EnvDto) {
    this.root = resolve(env.STORAGE_DIR);
  }

  async createWriter(key: string): Promise<StorageWriter> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    // Same directory as the target so the final rename never crosses a filesystem.
    const temp = join(dirname(target), `.upload-${randomBytes(8).toString('hex')}.tmp`);
    // 'wx': the random temp name must not already exist; 0o600 keeps tenant files private.
    const handle = await open(temp, 'wx', 0o600);
    return new LocalStorageWriter(new FileSink(handle), temp, target);
  }

  async put(key: string, body: Readable | Uint8Array): Promise<StoredObjectStat> {
    const writer = await this.createWriter(key);
    try {
      await pipeline(body instanceof Readable ? body : Readable.from([body]), writer.stream);
      return await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  async createReadStream(key: string, range: StorageRange = {}): Promise<Readable> {
    assertByteRange(range);
    const { start, end } = range;
    let handle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isMissing(error)) throw new NotFoundError('FILE_NOT_FOUND', 'The stored file does not exist');
      throw error;
    }
    return handle.createReadStream({ start, end });
  }

  async stat(key: string): Promise<StoredObjectStat | null> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { size: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await ignoreMissing(unlink(this.pathOf(key)));
  }

  async deletePrefix(prefix: string): Promise<void> {
    assertStorageKey(prefix, { allowTrailingSlash: true });
    if (prefix.endsWith('/')) {
      await rm(this.pathOf(prefix.slice(0, -1)), { recursive: true, force: true });
      return;
    }
    // A prefix that ends inside a name (`ten_x/conn_y/abc`) matches entries of that directory.
    const path = this.pathOf(prefix);
    const leaf = basename(path);
    let names: string[];
    try {
      names = await readdir(dirname(path));
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    await Promise.all(
      names
        .filter((name) => name.startsWith(leaf))
        .map((name) => rm(join(dirname(path), name), { recursive: true, force: true })),
    );
  }

  localPath(key: string): string {
    return this.pathOf(key);
  }

  private pathOf(key: string): string {
    assertStorageKey(key);
    const path = resolve(this.root, key);
    // Belt and braces: the key check above should already make this impossible.
    const rel = relative(this.root, path);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
      throw new BadRequestError('INVALID_STORAGE_KEY', 'Invalid storage key: outside the storage root');
    }
    return path;
  }
}
