import { assertByteRange } from './byte-range';
import { Injectable } from '@nestjs/common';
import { BadRequestError, NotFoundError, EnvDto } from '@sluice/core';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';

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

/**
 * Resolves once the stream has closed its file. Its error on the way is not rethrown: a write still
 * in flight when abort() destroys the stream fails with ERR_STREAM_DESTROYED, which is the abort's
 * own doing (and, with no listener, would be an unhandled 'error' event).
 */
async function closed(stream: WriteStream): Promise<void> {
  await finished(stream).catch(() => undefined);
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

class LocalStorageWriter implements StorageWriter {
  readonly stream: WriteStream;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    private readonly temp: string,
    private readonly target: string,
  ) {
    // 'wx': the random temp name must not already exist; 0o600 keeps tenant files private.
    this.stream = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  }

  async commit(): Promise<StoredObjectStat> {
    if (this.state !== 'open') throw new Error(`Cannot commit a write that is ${this.state}`);
    if (!this.stream.writableFinished) throw new Error('Cannot commit before the write stream has finished');
    await closed(this.stream);
    const handle = await open(this.temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
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
    await closed(this.stream);
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
    const writer = new LocalStorageWriter(temp, target);
    // An open error (e.g. EACCES) surfaces here rather than on the first write.
    await once(writer.stream, 'open');
    return writer;
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
