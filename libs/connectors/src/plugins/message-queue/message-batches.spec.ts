import { canonicalJson, digest, Inbox, MAX_STORED_BODY_BYTES, storedBody } from './message-batches';

describe('storedBody', () => {
  it('keeps UTF-8 text as it is', () => {
    expect(storedBody(Buffer.from('grüße'))).toEqual({
      content: 'grüße',
      contentEncoding: 'utf-8',
      bodyTruncated: false,
    });
  });

  it('keeps bytes that are not UTF-8 as base64', () => {
    expect(storedBody(Buffer.from([0xff, 0xfe, 0x00]))).toEqual({
      content: '//4A',
      contentEncoding: 'base64',
      bodyTruncated: false,
    });
  });

  it('cuts a long body at the cap without splitting a character', () => {
    // 'é' is two bytes: the cap falls inside the last one.
    const body = Buffer.from('a'.repeat(MAX_STORED_BODY_BYTES - 1) + 'é' + 'tail');
    const stored = storedBody(body);
    expect(stored).toMatchObject({ contentEncoding: 'utf-8', bodyTruncated: true });
    expect(stored.content).toBe('a'.repeat(MAX_STORED_BODY_BYTES - 1));
    const exact = storedBody(Buffer.from('a'.repeat(MAX_STORED_BODY_BYTES - 2) + 'é' + 'tail'));
    expect(exact.content.endsWith('é')).toBe(true);
  });
});

describe('digest and canonicalJson', () => {
  it('hash alike whatever the order of header keys, and tell apart the split of parts', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(digest(['ab', 'c'])).not.toBe(digest(['a', 'bc']));
    expect(digest([Buffer.from('x'), '{}'])).toBe(digest(['x', '{}']));
  });
});

describe('Inbox', () => {
  const never = new AbortController().signal;

  it('answers as soon as it holds the batch', async () => {
    const inbox = new Inbox<number>();
    setTimeout(() => [1, 2, 3].forEach((n) => inbox.push(n)), 20);
    const started = Date.now();
    expect(await inbox.take(2, { deadline: Date.now() + 10_000, idleMs: 5_000, signal: never })).toEqual({
      messages: [1, 2],
      end: 'full',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(inbox.pending).toEqual([3]);
  });

  it('answers what it has once nothing arrived for idleMs', async () => {
    const inbox = new Inbox<number>();
    inbox.push(1);
    const started = Date.now();
    expect(await inbox.take(5, { deadline: Date.now() + 10_000, idleMs: 100, signal: never })).toEqual({
      messages: [1],
      end: 'idle',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('answers at the deadline even while messages keep arriving', async () => {
    const inbox = new Inbox<number>();
    let n = 0;
    const timer = setInterval(() => inbox.push(n++), 10);
    try {
      const result = await inbox.take(1_000_000, { deadline: Date.now() + 200, idleMs: 150, signal: never });
      expect(result.end).toBe('deadline');
      expect(result.messages.length).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });

  it('rejects on a failure of the subscription and on an aborted signal', async () => {
    const failing = new Inbox<number>();
    setTimeout(() => failing.fail(new Error('channel closed')), 10);
    await expect(failing.take(1, { deadline: Date.now() + 5_000, idleMs: 5_000, signal: never })).rejects.toThrow(
      'channel closed',
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    await expect(
      new Inbox<number>().take(1, { deadline: Date.now() + 5_000, idleMs: 5_000, signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
  });
});
