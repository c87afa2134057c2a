import { createHash, randomBytes } from 'node:crypto';
import { DIGEST_BLOCK_BYTES, DIGEST_BLOCKS, DigestThread } from './digest-thread';
import { InlineDigest, type UploadDigest } from './upload-digest';

/** Lines of varied length (some longer than a block), so newlines fall on every kind of boundary. */
function text(bytes: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line =
      i % 20_000 === 0 ? 'x'.repeat(DIGEST_BLOCK_BYTES + 13) : `${i},${randomBytes(1 + (i % 40)).toString('hex')}`;
    const part = Buffer.from(`${line}\n`);
    parts.push(part);
    size += part.length;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

async function feed(digest: UploadDigest, bytes: Buffer, chunkSize: number) {
  for (let at = 0; at < bytes.length; at += chunkSize) await digest.update(bytes.subarray(at, at + chunkSize));
  return digest.finish();
}

describe('DigestThread', () => {
  let thread: DigestThread;

  beforeEach(() => {
    thread = new DigestThread();
  });
  afterEach(() => thread.close());

  it('gives the same SHA-256 and line index as hashing on the event loop, whatever the chunk sizes', async () => {
    // More than all the blocks of an upload, so the upload waits for blocks to come back.
    const bytes = text((DIGEST_BLOCKS + 3) * DIGEST_BLOCK_BYTES + 12_345);
    const expected = await feed(new InlineDigest(10), bytes, 64 * 1024);
    expect(expected.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    for (const chunkSize of [1000, 64 * 1024, DIGEST_BLOCK_BYTES, 3 * DIGEST_BLOCK_BYTES + 7]) {
      const result = await feed(thread.digest(10), bytes, chunkSize);
      expect(result.sha256).toBe(expected.sha256);
      expect(result.index).toEqual(expected.index);
    }
    expect(expected.index.lineCount).toBeGreaterThan(10_000);
    expect(thread.active).toBe(0);
  });

  it('leaves a chunk unchanged, so storage may write it while the thread digests it', async () => {
    const chunk = Buffer.alloc(DIGEST_BLOCK_BYTES + 5, 'a');
    const copy = Buffer.from(chunk);
    const digest = thread.digest();
    await digest.update(chunk);
    expect(chunk.equals(copy)).toBe(true);
    expect((await digest.finish()).sha256).toBe(createHash('sha256').update(copy).digest('hex'));
  });

  it('serves uploads side by side, each with its own result', async () => {
    const one = text(3 * DIGEST_BLOCK_BYTES);
    const two = text(2 * DIGEST_BLOCK_BYTES + 99);
    const [a, b] = await Promise.all([feed(thread.digest(), one, 50_000), feed(thread.digest(), two, 70_000)]);
    expect(a.sha256).toBe(createHash('sha256').update(one).digest('hex'));
    expect(b.sha256).toBe(createHash('sha256').update(two).digest('hex'));
    expect(a.index.size).toBe(one.length);
    expect(b.index.size).toBe(two.length);
  });

  it('drops an aborted upload, and an upload waiting for a block fails instead of hanging', async () => {
    const aborted = thread.digest();
    await aborted.update(Buffer.alloc(100, 'a'));
    aborted.abort();
    aborted.abort();
    await expect(aborted.finish()).rejects.toThrow(/aborted/);
    expect(() => aborted.update(Buffer.alloc(1))).toThrow(/aborted/);

    // All blocks with the thread and one more chunk: the wait ends with the shutdown, not never.
    const waiting = thread.digest();
    const pending = waiting.update(Buffer.alloc((DIGEST_BLOCKS + 2) * DIGEST_BLOCK_BYTES, 'b'));
    expect(pending).toBeInstanceOf(Promise);
    const outcome = Promise.resolve(pending).catch((error: Error) => error);
    await thread.close();
    expect(await outcome).toMatchObject({ message: expect.stringMatching(/shutting down/) });
    expect(thread.active).toBe(0);
  });

  it('starts a new thread after the last one was stopped', async () => {
    await feed(thread.digest(), Buffer.from('a\nb\n'), 2);
    await thread.close();
    const result = await feed(thread.digest(), Buffer.from('a\nb\nc'), 2);
    expect(result.index.lineCount).toBe(3);
  });
});
