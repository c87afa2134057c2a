import { LineIndex, LineIndexBuilder, lineIndexKey } from './line-index';

function build(text: string, interval: number, chunkSize = 7): LineIndex {
  const builder = new LineIndexBuilder(interval);
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += chunkSize) builder.update(bytes.subarray(at, at + chunkSize));
  return builder.finish();
}

describe('LineIndexBuilder', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['a\n', 1],
    ['a\nb', 2],
    ['a\nb\n', 2],
    ['a\n\n', 2],
    ['\n', 1],
  ])('counts %j as %p lines', (text, lines) => {
    expect(build(text, 2).lineCount).toBe(lines);
  });

  it('records the start of every Nth line, whatever the chunk boundaries', () => {
    const lines = Array.from({ length: 25 }, (_, i) => `line-${i}`);
    const text = lines.join('\n') + '\n';
    for (const chunkSize of [1, 3, 64, 10_000]) {
      const index = build(text, 10, chunkSize);
      expect(index.offsets).toEqual([0, text.indexOf('line-10'), text.indexOf('line-20')]);
      expect(index.lineCount).toBe(25);
      expect(index.size).toBe(Buffer.byteLength(text));
    }
  });

  it('finds every newline among lines short and long, empty ones included', () => {
    // Lengths on both sides of the bytes looked at one by one before a native search.
    const lengths = [0, 0, 1, 31, 32, 33, 0, 200, 5, 0, 64, 2, 1000, 0, 30];
    const text = lengths.map((n, i) => String.fromCharCode(97 + (i % 26)).repeat(n)).join('\n');
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
    for (const chunkSize of [1, 7, 33, 100, 10_000]) {
      const index = build(text, 2, chunkSize);
      expect(index.lineCount).toBe(lengths.length);
      expect(index.offsets).toEqual(starts.filter((_, i) => i % 2 === 0));
    }
    expect(build('\n'.repeat(100_000), 1000).lineCount).toBe(100_000);
  });

  it('drops an entry announced by a final newline on a multiple of the interval', () => {
    const index = build('a\nb\nc\nd\n', 2);
    expect(index.lineCount).toBe(4);
    expect(index.offsets).toEqual([0, 4]);
  });

  it('refuses a zero interval', () => {
    expect(() => new LineIndexBuilder(0)).toThrow(/positive/);
  });
});

describe('LineIndex', () => {
  it('survives a round trip through its binary form', () => {
    const index = new LineIndex(1000, 123_456, 2 ** 40, [0, 5_000_000_000, 2 ** 40 - 10]);
    const copy = LineIndex.fromBuffer(index.toBuffer());
    expect(copy).toEqual(index);
    expect(index.toBuffer().length).toBe(32 + 3 * 8);
  });

  it('locates the nearest indexed line at or before the one asked for', () => {
    const index = new LineIndex(10, 35, 400, [0, 100, 200, 300]);
    expect(index.locate(0)).toEqual({ line: 0, offset: 0 });
    expect(index.locate(9)).toEqual({ line: 0, offset: 0 });
    expect(index.locate(10)).toEqual({ line: 10, offset: 100 });
    expect(index.locate(34)).toEqual({ line: 30, offset: 300 });
    expect(index.locate(500)).toEqual({ line: 30, offset: 300 });
  });

  it('rejects bytes that are not an index', () => {
    expect(() => LineIndex.fromBuffer(Buffer.from('hello world, this is not an index'))).toThrow(/line index/);
    const truncated = new LineIndex(10, 20, 100, [0, 50]).toBuffer().subarray(0, 40);
    expect(() => LineIndex.fromBuffer(truncated)).toThrow(/Corrupt/);
  });

  it('is stored next to its file', () => {
    expect(lineIndexKey('ten_a/conn_b/x.csv')).toBe('ten_a/conn_b/x.csv.lines');
  });
});
