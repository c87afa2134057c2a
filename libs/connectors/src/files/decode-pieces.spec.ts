import { DECODE_PIECE_BYTES, decodeInPieces } from './decode-pieces';

/** `bytes` cut at the given lengths, in turn, as a reader hands them over. */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length];
    parts.push(bytes.subarray(at, at + size));
    at += size;
  }
  return parts;
}

describe('decodeInPieces', () => {
  const utf8 = Buffer.from('\uFEFFCafé 😀 "naïve" — 日本語\n'.repeat(40_000));
  const binary = Buffer.from(Array.from({ length: DECODE_PIECE_BYTES * 2 + 7 }, (_, i) => (i * 7919) % 256));

  it('decodes the same text as the joined bytes at once, however they are cut', async () => {
    for (const sizes of [[utf8.length], [1], [1, 2, 3, 5, 8], [65_536], [DECODE_PIECE_BYTES + 1, 17]]) {
      const parts = sizes[0] === 1 ? cut(utf8.subarray(0, 5_000), sizes) : cut(utf8, sizes);
      const whole = Buffer.concat(parts);
      expect(await decodeInPieces(parts, 'utf-8')).toBe(new TextDecoder('utf-8').decode(whole));
    }
    const latin = Buffer.from('Café São Paulo, München\n'.repeat(30_000), 'latin1');
    expect(await decodeInPieces(cut(latin, [1000, 333]), 'windows-1252')).toBe(
      new TextDecoder('windows-1252').decode(latin),
    );
  });

  it('writes the same base64 as the joined bytes, however they are cut', async () => {
    for (const sizes of [[binary.length], [1, 2], [4, 5, 7], [DECODE_PIECE_BYTES - 1, 2]]) {
      const bytes = sizes[0] < 10 ? binary.subarray(0, 5_001) : binary;
      expect(await decodeInPieces(cut(bytes, sizes), 'base64')).toBe(bytes.toString('base64'));
    }
    expect(await decodeInPieces([], 'base64')).toBe('');
    expect(await decodeInPieces([], 'utf-8')).toBe('');
  });

  it('lets the event loop turn between pieces of a 10 MiB window', async () => {
    const window = Buffer.alloc(10 * 1024 * 1024, 'é');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const text = await decodeInPieces([window], 'utf-8');
    clearInterval(timer);
    expect(text.length).toBe(window.length / 2);
    expect(ticks).toBeGreaterThan(5);
  });
});
