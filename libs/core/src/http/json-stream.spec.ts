import { jsonPieces, jsonResponse } from './json-stream';

async function text(value: unknown, pieceChars?: number): Promise<{ text: string; pieces: number }> {
  const parts: Buffer[] = [];
  for await (const piece of jsonPieces(value, pieceChars)) parts.push(piece);
  return { text: Buffer.concat(parts).toString('utf8'), pieces: parts.length };
}

describe('jsonPieces', () => {
  it('writes the text JSON.stringify writes, long strings in pieces', async () => {
    const value = {
      id: 'conn_1',
      content: 'a"b\\c\nd\u0000é😀'.repeat(50),
      nested: { other: 'x'.repeat(333), list: [1, null, 'short', 'y'.repeat(100)] },
      gone: undefined,
      when: new Date(0),
    };
    const { text: written, pieces } = await text(value, 64);
    expect(written).toBe(JSON.stringify(value));
    expect(JSON.parse(written)).toEqual(JSON.parse(JSON.stringify(value)));
    expect(pieces).toBeGreaterThan(10);
    expect((await text(value)).text).toBe(JSON.stringify(value));
  });

  it('keeps a surrogate pair in one piece', async () => {
    for (const pieceChars of [2, 3, 4, 5]) {
      const value = { s: `x${'😀'.repeat(20)}` };
      const { text: written } = await text(value, pieceChars);
      expect(written).toBe(JSON.stringify(value));
      expect(written).not.toMatch(/\\ud8/);
    }
  });

  it('leaves a string that only looks like its placeholder alone', async () => {
    const value = { a: '\u0001json-piece-0', b: 'z'.repeat(100) };
    expect((await text(value, 10)).text).toBe(JSON.stringify(value));
  });

  it('lets the event loop turn while it writes 10 MiB of text', async () => {
    const value = { content: 'line "quoted", with a comma\n'.repeat(400_000) };
    const ticks = { count: 0 };
    const timer = setInterval(() => ticks.count++, 1);
    const { text: written } = await text(value);
    clearInterval(timer);
    expect(written.length).toBe(JSON.stringify(value).length);
    // Timers fired in between: the loop was not held for the whole text.
    expect(ticks.count).toBeGreaterThan(10);
  });

  it('answers as a JSON stream', () => {
    const file = jsonResponse({ a: 1 });
    expect(file.getHeaders().type).toBe('application/json; charset=utf-8');
  });
});
