import { EnvDto, BadRequestError } from '@sluice/core';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { ContentReader, MAX_WINDOW_BYTES } from './content-reader';
import { LocalFileStorage, type FileStorage, type StorageRange } from './file-storage';
import { LineIndex } from './line-index';
import { UploadService, type StoredFile } from './upload.service';

/** Counts the bytes every read stream actually delivers, to prove line windows read little. */
class CountingStorage implements FileStorage {
  bytesRead = 0;
  constructor(private readonly inner: FileStorage) {}
  createWriter = (key: string) => this.inner.createWriter(key);
  put = (key: string, body: Readable | Uint8Array) => this.inner.put(key, body);
  stat = (key: string) => this.inner.stat(key);
  delete = (key: string) => this.inner.delete(key);
  deletePrefix = (prefix: string) => this.inner.deletePrefix(prefix);
  localPath = (key: string) => this.inner.localPath(key);
  async createReadStream(key: string, range?: StorageRange): Promise<Readable> {
    const source = await this.inner.createReadStream(key, range);
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.bytesRead += chunk.length;
        callback(null, chunk);
      },
    });
    source.pipe(counter);
    counter.once('close', () => source.destroy());
    return counter;
  }
}

describe('ContentReader', () => {
  let root: string;
  let storage: LocalFileStorage;
  let uploads: UploadService;
  const reader = new ContentReader();

  const upload = (bytes: Buffer, options: Parameters<UploadService['store']>[3] = {}): Promise<StoredFile> =>
    uploads.store('ten_a', 'conn_a', Readable.from([bytes]), options);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sluice-content-'));
    const env = Object.assign(new EnvDto(), { STORAGE_DIR: join(root, 'store'), MAX_UPLOAD_BYTES: 64 * 1024 * 1024 });
    storage = new LocalFileStorage(env);
    uploads = new UploadService(env, storage);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('line windows of a 200,000-line file', () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `row ${i} ${'x'.repeat(i % 50)}`);
    const bytes = Buffer.from(lines.join('\n') + '\n');
    let stored: StoredFile;

    beforeEach(async () => {
      stored = await upload(bytes, { fileName: 'rows.txt' });
    });

    it('indexes every 1000th line: 200 entries', () => {
      const index = LineIndex.fromBuffer(readFileSync(join(root, 'store', `${stored.key}.lines`)));
      expect(index.offsets).toHaveLength(200);
      expect(index.lineCount).toBe(200_000);
    });

    it('returns exactly the lines asked for, deep in the file, reading a small part of it', async () => {
      const counting = new CountingStorage(storage);
      const result = await reader.read(counting, stored, { offset: 150_123, limit: 250 });

      expect(result.content).toBe(lines.slice(150_123, 150_373).join('\n'));
      expect(result).toMatchObject({ encoding: 'utf-8', contentType: 'text/plain', totalSize: bytes.length });
      expect(result.chunkInfo).toMatchObject({
        mode: 'lines',
        offset: 150_123,
        limit: 250,
        totalLines: 200_000,
        returnedLines: 250,
        hasMore: true,
      });
      const start = bytes.indexOf(`row 150123 `);
      expect(result.chunkInfo.bytesStart).toBe(start);
      expect(bytes.subarray(result.chunkInfo.bytesStart!, result.chunkInfo.bytesEnd! + 1).toString()).toBe(
        result.content,
      );
      // The index (~1.6 KB) and one or two 64 KiB reads, against a file of about 7 MB.
      expect(counting.bytesRead).toBeLessThan(200 * 1024);
      expect(counting.bytesRead * 20).toBeLessThan(bytes.length);
    });

    it('crosses index entries and stops at the end of the file', async () => {
      const across = await reader.read(storage, stored, { offset: 998, limit: 5 });
      expect(across.content).toBe(lines.slice(998, 1003).join('\n'));

      const last = await reader.read(storage, stored, { offset: 199_990, limit: 100 });
      expect(last.content).toBe(lines.slice(199_990).join('\n'));
      expect(last.chunkInfo).toMatchObject({ returnedLines: 10, hasMore: false });

      const beyond = await reader.read(storage, stored, { offset: 250_000, limit: 10 });
      expect(beyond.content).toBe('');
      expect(beyond.chunkInfo).toMatchObject({ returnedLines: 0, hasMore: false });
    });

    it('defaults to the first 100 lines', async () => {
      const first = await reader.read(storage, stored);
      expect(first.content).toBe(lines.slice(0, 100).join('\n'));
      expect(first.chunkInfo).toMatchObject({ offset: 0, limit: 100 });
    });

    it('still answers correctly when the index is gone', async () => {
      await storage.delete(`${stored.key}.lines`);
      const result = await reader.read(storage, stored, { offset: 12_345, limit: 3 });
      expect(result.content).toBe(lines.slice(12_345, 12_348).join('\n'));
    });
  });

  it('handles a last line without a newline, and CRLF kept as written', async () => {
    const stored = await upload(Buffer.from('a\r\nb\r\nc'), { fileName: 'crlf.txt' });
    expect((await reader.read(storage, stored, { offset: 1, limit: 5 })).content).toBe('b\r\nc');
  });

  it('reads byte windows exactly, inclusive of bytesEnd and clamped to the file', async () => {
    const stored = await upload(Buffer.from('0123456789abcdefghij'), { fileName: 'b.txt' });
    const middle = await reader.read(storage, stored, { bytesStart: 5, bytesEnd: 9 });
    expect(middle.content).toBe('56789');
    expect(middle.chunkInfo).toMatchObject({ mode: 'bytes', offset: null, bytesStart: 5, bytesEnd: 9, hasMore: true });
    const tail = await reader.read(storage, stored, { bytesStart: 15 });
    expect(tail.content).toBe('fghij');
    expect(tail.chunkInfo.hasMore).toBe(false);
    const clamped = await reader.read(storage, stored, { bytesStart: 18, bytesEnd: 1000 });
    expect(clamped.content).toBe('ij');
    expect((await reader.read(storage, stored, { bytesEnd: 2 })).content).toBe('012');
  });

  it('decodes with the stored encoding: Latin-1 é comes back as é', async () => {
    const stored = await upload(Buffer.from('name\ncafé\nthé glacé\n', 'latin1'), {
      fileName: 'menu.csv',
      declaredEncoding: 'latin1',
    });
    const lines = await reader.read(storage, stored, { offset: 1, limit: 2 });
    expect(lines.content).toBe('café\nthé glacé');
    expect(lines.encoding).toBe('windows-1252');
    const bytes = await reader.read(storage, stored, { bytesStart: 5, bytesEnd: 8 });
    expect(bytes.content).toBe('café');
  });

  it('returns binary content base64-encoded, by default the start of the file', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(3000)]);
    const stored = await upload(png, { fileName: 'image.png' });
    const whole = await reader.read(storage, stored);
    expect(whole).toMatchObject({ encoding: 'base64', contentType: 'image/png', totalSize: png.length });
    expect(Buffer.from(whole.content, 'base64').equals(png)).toBe(true);
    const part = await reader.read(storage, stored, { bytesStart: 0, bytesEnd: 7 });
    expect(Buffer.from(part.content, 'base64').equals(png.subarray(0, 8))).toBe(true);
    await expect(reader.read(storage, stored, { offset: 0, limit: 10 })).rejects.toThrow(/bytesStart/);
  });

  it('cuts a line window at 10 MiB and says where it stopped', async () => {
    const stored = await upload(Buffer.concat([Buffer.alloc(MAX_WINDOW_BYTES + 1000, 0x61), Buffer.from('\nend\n')]), {
      fileName: 'wide.txt',
    });
    const result = await reader.read(storage, stored, { offset: 0, limit: 2 });
    expect(result.content.length).toBe(MAX_WINDOW_BYTES);
    expect(result.chunkInfo).toMatchObject({
      truncated: true,
      hasMore: true,
      bytesStart: 0,
      bytesEnd: MAX_WINDOW_BYTES - 1,
    });
  });

  it('reads an empty file as empty content', async () => {
    const stored = await upload(Buffer.alloc(0), { fileName: 'empty.txt' });
    expect((await reader.read(storage, stored)).content).toBe('');
    expect((await reader.read(storage, stored, { bytesStart: 0 })).content).toBe('');
  });

  it.each<[string, object]>([
    ['a negative offset', { offset: -1 }],
    ['a fractional offset', { offset: 1.5 }],
    ['a zero limit', { limit: 0 }],
    ['a limit over 10,000', { limit: 10_001 }],
    ['a negative bytesStart', { bytesStart: -5 }],
    ['bytesEnd before bytesStart', { bytesStart: 10, bytesEnd: 4 }],
    ['a byte window over 10 MiB', { bytesStart: 0, bytesEnd: MAX_WINDOW_BYTES }],
    ['bytesStart past the end', { bytesStart: 1000 }],
    ['lines and bytes together', { offset: 0, bytesStart: 0 }],
  ])('refuses %s with a 400', async (_why, window) => {
    const stored = await upload(Buffer.from('one\ntwo\n'), { fileName: 'small.txt' });
    await expect(reader.read(storage, stored, window)).rejects.toBeInstanceOf(BadRequestError);
  });
});
