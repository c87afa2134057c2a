import { EnvDto, BadRequestError, PayloadTooLargeError } from '@sluice/core';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalFileStorage } from './file-storage';
import { LineIndex } from './line-index';
import { THREAD_DIGEST_MIN_BYTES, UploadService } from './upload.service';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => statSync(join(dir, p)).isFile());
}

/** The bytes as a stream of 64 KiB chunks, the way a request body arrives. */
function chunked(bytes: Buffer, size = 64 * 1024): Readable {
  let at = 0;
  return new Readable({
    read() {
      this.push(at < bytes.length ? bytes.subarray(at, (at += size)) : null);
    },
  });
}

describe('UploadService', () => {
  let root: string;
  let storeDir: string;
  let service: UploadService;

  const setUp = (maxBytes = 64 * 1024 * 1024): void => {
    const env = Object.assign(new EnvDto(), { STORAGE_DIR: storeDir, MAX_UPLOAD_BYTES: maxBytes });
    service = new UploadService(env, new LocalFileStorage(env));
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sluice-upload-'));
    storeDir = join(root, 'store');
    setUp();
  });
  afterEach(async () => {
    await service.onModuleDestroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('stores a multi-MB upload with its size, SHA-256, line count and line index', async () => {
    const lines = Array.from({ length: 120_000 }, (_, i) => `${i},${randomBytes(8).toString('hex')},row number ${i}`);
    const bytes = Buffer.from(lines.join('\n') + '\n');
    expect(bytes.length).toBeGreaterThan(4 * 1024 * 1024);

    const stored = await service.store('ten_a', 'conn_a', chunked(bytes), { fileName: 'big export.csv' });

    expect(stored.size).toBe(bytes.length);
    expect(stored.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(stored.lineCount).toBe(120_000);
    expect(stored.csvRowCount).toBe(119_999);
    expect(stored.mimeType).toBe('text/csv');
    expect(stored.encoding).toBe('utf-8');
    expect(stored.fileName).toBe('big export.csv');
    expect(stored.key).toMatch(/^ten_a\/conn_a\/[0-9a-z]+-[0-9a-z]{8}-big_export\.csv$/);
    expect(new Date(stored.lastModified).toISOString()).toBe(stored.lastModified);
    expect(readFileSync(join(storeDir, stored.key)).equals(bytes)).toBe(true);
    const index = LineIndex.fromBuffer(readFileSync(join(storeDir, `${stored.key}.lines`)));
    expect(index.offsets).toHaveLength(120);
    expect(bytes.subarray(index.offsets[7], index.offsets[7] + 5).toString()).toBe('7000,');
    expect(filesUnder(storeDir)).toHaveLength(2);
  });

  it('measures a large upload on the digest thread exactly as a small one on the event loop', async () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `${i};${'v'.repeat(i % 97)}`);
    const bytes = Buffer.from(lines.join('\n'));
    expect(bytes.length).toBeGreaterThan(THREAD_DIGEST_MIN_BYTES);
    setUp(bytes.length);
    // Announced large: digested on the thread. Announced under the threshold (a client may lie
    // about the length, here to steer the path): digested inline.
    const threaded = await service.store('ten_a', 'conn_a', chunked(bytes), { contentLength: bytes.length });
    const inline = await service.store('ten_a', 'conn_a', chunked(bytes), { contentLength: 1 });
    for (const stored of [threaded, inline]) {
      expect(stored.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(stored.lineCount).toBe(200_000);
      expect(readFileSync(join(storeDir, stored.key)).equals(bytes)).toBe(true);
    }
    expect(readFileSync(join(storeDir, `${threaded.key}.lines`))).toEqual(
      readFileSync(join(storeDir, `${inline.key}.lines`)),
    );
  });

  it('gives two uploads of the same name different keys', async () => {
    const first = await service.store('ten_a', 'conn_a', Readable.from([Buffer.from('1')]), { fileName: 'a.txt' });
    const second = await service.store('ten_a', 'conn_a', Readable.from([Buffer.from('2')]), { fileName: 'a.txt' });
    expect(first.key).not.toBe(second.key);
  });

  it('aborts with 413 as soon as MAX_UPLOAD_BYTES is passed, leaving nothing on disk', async () => {
    setUp(1024 * 1024);
    const body = chunked(randomBytes(3 * 1024 * 1024));
    const error = await service.store('ten_a', 'conn_a', body, { fileName: 'huge.bin' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({
      status: 413,
      code: 'FILE_TOO_LARGE',
      message: 'File is larger than MAX_UPLOAD_BYTES (1048576 bytes)',
    });
    expect(filesUnder(storeDir)).toEqual([]);
    // Left readable so the HTTP layer can still answer 413 on the same connection.
    expect(body.destroyed).toBe(false);
    expect(body.readableFlowing).toBe(false);
  });

  it('accepts a body of exactly MAX_UPLOAD_BYTES', async () => {
    setUp(1000);
    const stored = await service.store('ten_a', 'conn_a', chunked(Buffer.alloc(1000, 0x61), 300));
    expect(stored.size).toBe(1000);
  });

  it('refuses an announced Content-Length over the limit before reading', async () => {
    setUp(1000);
    const body = chunked(Buffer.alloc(10));
    await expect(service.store('ten_a', 'conn_a', body, { contentLength: 5000 })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    expect(body.readableLength).toBe(0);
    expect(filesUnder(storeDir)).toEqual([]);
  });

  it('stores nothing when the client goes away midway', async () => {
    let sent = 0;
    const erroring = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(64 * 1024, 0x61));
        else this.destroy(new Error('socket hang up'));
      },
    });
    await expect(service.store('ten_a', 'conn_a', erroring, { fileName: 'a.txt' })).rejects.toThrow('socket hang up');
    expect(filesUnder(storeDir)).toEqual([]);

    sent = 0;
    const destroyed = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(64 * 1024, 0x61));
        else this.destroy();
      },
    });
    await expect(service.store('ten_a', 'conn_a', destroyed, { fileName: 'a.txt' })).rejects.toThrow(/premature/i);
    expect(filesUnder(storeDir)).toEqual([]);
  });

  it('stores nothing when the caller aborts', async () => {
    const controller = new AbortController();
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(16 * 1024, 0x61));
      },
    });
    setTimeout(() => controller.abort(), 20);
    await expect(service.store('ten_a', 'conn_a', endless, { signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(filesUnder(storeDir)).toEqual([]);
  });

  it('takes a declared encoding, from the option or from the content type charset', async () => {
    const latin1 = Buffer.from('name\ncafé\n', 'latin1');
    const declared = await service.store('ten_a', 'conn_a', Readable.from([latin1]), {
      fileName: 'menu.txt',
      declaredEncoding: 'latin1',
    });
    expect(declared.encoding).toBe('windows-1252');
    const viaHeader = await service.store('ten_a', 'conn_a', Readable.from([latin1]), {
      contentType: 'text/plain; charset=ISO-8859-1',
    });
    expect(viaHeader.encoding).toBe('windows-1252');
    expect(viaHeader.fileName).toBe('upload.txt');
  });

  it('refuses an unknown declared encoding before storing anything', async () => {
    await expect(
      service.store('ten_a', 'conn_a', Readable.from([Buffer.from('x')]), { declaredEncoding: 'klingon-8' }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_ENCODING' });
    expect(filesUnder(storeDir)).toEqual([]);
  });

  it('counts CSV rows without the header and without a trailing empty line', async () => {
    const withNewline = await service.store('ten_a', 'conn_a', Readable.from([Buffer.from('a,b\n1,2\n3,4\n')]), {
      fileName: 'data.csv',
      contentType: 'text/plain',
    });
    expect(withNewline).toMatchObject({ mimeType: 'text/csv', lineCount: 3, csvRowCount: 2 });
    const without = await service.store('ten_a', 'conn_a', Readable.from([Buffer.from('a,b\n1,2\n3,4')]), {
      contentType: 'text/csv',
    });
    expect(without).toMatchObject({ lineCount: 3, csvRowCount: 2, fileName: 'upload.csv' });
    const text = await service.store('ten_a', 'conn_a', Readable.from([Buffer.from('a\nb')]), { fileName: 'a.txt' });
    expect(text.csvRowCount).toBeUndefined();
  });

  it('recognises a PNG by its magic bytes whatever it is called', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(500)]);
    const stored = await service.store('ten_a', 'conn_a', Readable.from([png]), {
      fileName: 'picture.dat',
      declaredEncoding: 'utf-8',
    });
    expect(stored).toMatchObject({ mimeType: 'image/png', encoding: 'binary' });
  });

  it('refuses ids that are not plain segments', async () => {
    await expect(service.store('../x', 'conn_a', Readable.from([]))).rejects.toBeInstanceOf(BadRequestError);
    await expect(service.store('ten_a', 'a/b', Readable.from([]))).rejects.toBeInstanceOf(BadRequestError);
  });

  it('discards one file with its index, or every file of a connector', async () => {
    const one = await service.store('ten_a', 'conn_a', Readable.from([Buffer.from('x\n')]), { fileName: 'a.txt' });
    await service.store('ten_a', 'conn_a', Readable.from([Buffer.from('y\n')]), { fileName: 'b.txt' });
    await service.store('ten_a', 'conn_b', Readable.from([Buffer.from('z\n')]), { fileName: 'c.txt' });
    await service.discard(one.key);
    expect(filesUnder(storeDir)).toHaveLength(4);
    await service.discardConnector('ten_a', 'conn_a');
    expect(filesUnder(storeDir).every((p) => p.startsWith(join('ten_a', 'conn_b')))).toBe(true);
    expect(filesUnder(storeDir)).toHaveLength(2);
  });
});
