import { MysqlPacketSizes, PgMessageSizes } from './result-budget';

/** A PostgreSQL backend message: its type byte, its length (counting itself) and its body. */
function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type);
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

describe('PgMessageSizes', () => {
  const stream = Buffer.concat([
    message('C', Buffer.from('BEGIN\0')),
    message('Z', Buffer.from('T')),
    message('D', Buffer.alloc(3000, 'x')),
    message('D', Buffer.alloc(10, 'y')),
  ]);

  it('reads the size each message declares, however the stream is cut into chunks', () => {
    expect(new PgMessageSizes().feed(stream)).toBe(3005);
    for (const size of [1, 2, 3, 4, 5, 7, 64, 1000]) {
      const sizes = new PgMessageSizes();
      const seen: number[] = [];
      for (let at = 0; at < stream.length; at += size) seen.push(sizes.feed(stream.subarray(at, at + size)));
      expect(Math.max(...seen)).toBe(3005);
      // Chunks inside the large message's body declare nothing.
      expect(seen.filter((s) => s > 0).length).toBeLessThanOrEqual(4);
    }
  });

  it('knows the size of a huge row from its header, before its body arrives', () => {
    const header = Buffer.alloc(5);
    header.write('D');
    header.writeUInt32BE(40_000_011, 1);
    const sizes = new PgMessageSizes();
    expect(sizes.feed(Buffer.concat([message('Z', Buffer.from('T')), header.subarray(0, 3)]))).toBe(6);
    expect(sizes.feed(Buffer.concat([header.subarray(3), Buffer.alloc(100)]))).toBe(40_000_012);
    expect(sizes.feed(Buffer.alloc(65_536))).toBe(0);
  });
});

describe('MysqlPacketSizes', () => {
  const packet = (body: Buffer, seq: number): Buffer => {
    const header = Buffer.alloc(4);
    header.writeUIntLE(body.length, 0, 3);
    header[3] = seq;
    return Buffer.concat([header, body]);
  };

  it('reads the size each packet declares, however the stream is cut into chunks', () => {
    const stream = Buffer.concat([
      packet(Buffer.from([1]), 1),
      packet(Buffer.alloc(2000, 'x'), 2),
      packet(Buffer.alloc(9), 3),
    ]);
    for (const size of [1, 3, 4, 5, 100, 5000]) {
      const sizes = new MysqlPacketSizes();
      const seen: number[] = [];
      for (let at = 0; at < stream.length; at += size) seen.push(sizes.feed(stream.subarray(at, at + size)));
      expect(Math.max(...seen)).toBe(2004);
    }
  });

  it('knows a row of 16 MiB or more from the header of its first packet', () => {
    const header = Buffer.from([0xff, 0xff, 0xff, 4]);
    expect(new MysqlPacketSizes().feed(Buffer.concat([header, Buffer.alloc(1000)]))).toBe(0xffffff + 4);
  });
});
