import { EnvDto, BadRequestError, NotFoundError } from '@sluice/core';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { assertStorageKey, FileSink, LocalFileStorage } from './file-storage';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => statSync(join(dir, p)).isFile());
}

describe('LocalFileStorage', () => {
  let root: string;
  let storage: LocalFileStorage;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sluice-storage-'));
    storage = new LocalFileStorage(Object.assign(new EnvDto(), { STORAGE_DIR: join(root, 'store') }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores a stream and reads it back whole or by inclusive byte range', async () => {
    const stat = await storage.put('ten_a/conn_a/hello.txt', Readable.from(['hello ', 'world']));
    expect(stat.size).toBe(11);
    expect(await text(await storage.createReadStream('ten_a/conn_a/hello.txt'))).toBe('hello world');
    expect(await text(await storage.createReadStream('ten_a/conn_a/hello.txt', { start: 6, end: 8 }))).toBe('wor');
    expect(await text(await storage.createReadStream('ten_a/conn_a/hello.txt', { start: 6 }))).toBe('world');
    const info = await storage.stat('ten_a/conn_a/hello.txt');
    expect(info?.size).toBe(11);
    expect(Math.abs(info!.lastModified.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('keeps a write invisible until commit, and leaves nothing after abort', async () => {
    const writer = await storage.createWriter('ten_a/conn_a/big.bin');
    writer.stream.write(Buffer.alloc(1000, 1));
    expect(await storage.stat('ten_a/conn_a/big.bin')).toBeNull();
    expect(filesUnder(join(root, 'store'))).toHaveLength(1); // only the temp file
    await writer.abort();
    await writer.abort();
    expect(filesUnder(join(root, 'store'))).toEqual([]);
  });

  it('replaces an existing object atomically', async () => {
    await storage.put('ten_a/conn_a/x', Buffer.from('old'));
    const writer = await storage.createWriter('ten_a/conn_a/x');
    writer.stream.end('new content');
    await new Promise((resolve) => writer.stream.once('finish', resolve));
    expect(await text(await storage.createReadStream('ten_a/conn_a/x'))).toBe('old');
    await writer.commit();
    expect(await text(await storage.createReadStream('ten_a/conn_a/x'))).toBe('new content');
    expect(filesUnder(join(root, 'store'))).toEqual([join('ten_a', 'conn_a', 'x')]);
  });

  it('leaves nothing when the body fails midway', async () => {
    const body = new Readable({
      read() {
        this.push(Buffer.alloc(4096, 2));
        this.destroy(new Error('source failed'));
      },
    });
    await expect(storage.put('ten_a/conn_a/broken', body)).rejects.toThrow('source failed');
    expect(filesUnder(join(root, 'store'))).toEqual([]);
  });

  it('writes chunks queued behind a write together and in order, flushing in the background', async () => {
    const path = join(root, 'sink.bin');
    const handle = await open(path, 'wx');
    const flushes: number[] = [];
    const datasync = handle.datasync.bind(handle);
    handle.datasync = () => {
      flushes.push(sink.bytesWritten);
      return datasync();
    };
    const sink = new FileSink(handle, 100_000);
    const chunks = Array.from({ length: 300 }, (_, i) => Buffer.alloc(1000 + (i % 7), i % 251));
    // Written without waiting: all but the first queue up and go down as writev batches.
    for (const chunk of chunks) sink.write(chunk);
    sink.end();
    await new Promise((resolve) => sink.once('finish', resolve));
    await sink.finishAndSync();
    expect(readFileSync(path).equals(Buffer.concat(chunks))).toBe(true);
    expect(flushes.length).toBeGreaterThanOrEqual(1);
    expect(flushes.every((at) => at >= 100_000)).toBe(true);
    await sink.close();
  });

  it('leaves nothing when a large write is aborted during a background flush', async () => {
    const writer = await storage.createWriter('ten_a/conn_a/flushing.bin');
    for (let i = 0; i < 80; i++) writer.stream.write(Buffer.alloc(1024 * 1024, i));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writer.abort();
    expect(filesUnder(join(root, 'store'))).toEqual([]);
  });

  it('reports a missing object as null or NotFoundError, and deletes idempotently', async () => {
    expect(await storage.stat('ten_a/conn_a/none')).toBeNull();
    await expect(storage.createReadStream('ten_a/conn_a/none')).rejects.toBeInstanceOf(NotFoundError);
    await storage.delete('ten_a/conn_a/none');
  });

  it('deletes by directory prefix and by name prefix', async () => {
    await storage.put('ten_a/conn_a/one', Buffer.from('1'));
    await storage.put('ten_a/conn_a/one.lines', Buffer.from('1'));
    await storage.put('ten_a/conn_a/two', Buffer.from('2'));
    await storage.put('ten_a/conn_b/three', Buffer.from('3'));
    await storage.deletePrefix('ten_a/conn_a/one');
    expect(filesUnder(join(root, 'store')).sort()).toEqual([
      join('ten_a', 'conn_a', 'two'),
      join('ten_a', 'conn_b', 'three'),
    ]);
    await storage.deletePrefix('ten_a/conn_a/');
    expect(filesUnder(join(root, 'store'))).toEqual([join('ten_a', 'conn_b', 'three')]);
    await storage.deletePrefix('ten_z/');
  });

  it.each(['../escape', 'ten_a/../../escape', '/etc/passwd', 'a\0b', 'a//b', '', 'a\\b', './a', 'a/./b', 'a/..'])(
    'refuses the key %j',
    async (key) => {
      await expect(storage.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(BadRequestError);
      await expect(storage.createReadStream(key)).rejects.toBeInstanceOf(BadRequestError);
      expect(() => assertStorageKey(key)).toThrow(BadRequestError);
    },
  );

  it('refuses a prefix that would wipe the whole store', async () => {
    await expect(storage.deletePrefix('/')).rejects.toBeInstanceOf(BadRequestError);
    await expect(storage.deletePrefix('../')).rejects.toBeInstanceOf(BadRequestError);
  });

  it('refuses invalid ranges', async () => {
    await storage.put('ten_a/conn_a/r', Buffer.from('0123456789'));
    await expect(storage.createReadStream('ten_a/conn_a/r', { start: 5, end: 2 })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    await expect(storage.createReadStream('ten_a/conn_a/r', { start: -1 })).rejects.toBeInstanceOf(BadRequestError);
  });
});
