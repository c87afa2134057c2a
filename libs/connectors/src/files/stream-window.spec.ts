import { Readable } from 'node:stream';
import { MAX_WINDOW_BYTES } from './content-reader';
import { readStreamWindow } from './stream-window';

const MiB = 1024 * 1024;

/** A text file of `count` lines of `length` bytes each, streamed in 64 KiB chunks as a file would be. */
function linesFile(count: number, length: number) {
  const line = Buffer.alloc(length + 1, 'x');
  line[length] = 0x0a;
  const whole = Buffer.concat(Array.from({ length: count }, () => line));
  return async (range?: { start?: number; end?: number }) => {
    const part = whole.subarray(range?.start ?? 0, range?.end === undefined ? undefined : range.end + 1);
    return Readable.from(
      (function* () {
        for (let at = 0; at < part.length; at += 64 * 1024) yield part.subarray(at, at + 64 * 1024);
      })(),
    );
  };
}

describe('readStreamWindow (files without a line index)', () => {
  it('holds a line window to 10 MiB however many long lines were asked for', async () => {
    const result = await readStreamWindow(linesFile(30, MiB), { mimeType: 'text/plain', size: null }, { limit: 30 });
    expect(Buffer.byteLength(result.content)).toBeLessThanOrEqual(MAX_WINDOW_BYTES);
    expect(result.chunkInfo).toMatchObject({ mode: 'lines', returnedLines: 9, hasMore: true, truncated: true });
  });

  it('leaves a window within the budget whole', async () => {
    const result = await readStreamWindow(
      linesFile(30, 1000),
      { mimeType: 'text/plain', size: null },
      { offset: 5, limit: 10 },
    );
    expect(result.chunkInfo).toMatchObject({ returnedLines: 10, hasMore: true });
    expect(result.chunkInfo.truncated).toBeUndefined();
    expect(result.content).toBe(Array.from({ length: 10 }, () => 'x'.repeat(1000)).join('\n'));
  });
});
