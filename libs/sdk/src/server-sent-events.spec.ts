import { readServerSentEvents, type ServerSentEvent } from './server-sent-events';

/** A body that delivers `chunks` one read at a time, as a network would split them. */
function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const e of readServerSentEvents(stream)) events.push(e);
  return events;
}

describe('readServerSentEvents', () => {
  it('reads named events with JSON data and ids, as the API writes them', async () => {
    const events = await collect(
      body(
        'event: progress\nid: 1\ndata: {"status":"running","progress":{"processed":3}}\n\n',
        'event: final\nid: 2\ndata: {"status":"succeeded"}\n\n',
      ),
    );
    expect(events).toEqual([
      { event: 'progress', id: '1', data: { status: 'running', progress: { processed: 3 } } },
      { event: 'final', id: '2', data: { status: 'succeeded' } },
    ]);
  });

  it('puts events back together across chunk boundaries, a CRLF split between two reads included', async () => {
    // Read as a lone CR, the split CRLF would end the event after "a" and start another.
    const events = await collect(
      body('event: st', 'age\r\ndata: a\r', '\ndata: b\r\n\r\n', 'event: result\ndata: {"ok":true}\n', '\n'),
    );
    expect(events).toEqual([
      { event: 'stage', data: 'a\nb', id: undefined },
      { event: 'result', data: { ok: true }, id: undefined },
    ]);
  });

  it('joins data lines, skips comments and data-less events, and names an unnamed event "message"', async () => {
    const events = await collect(body(': keep-alive\n\n', 'event: ping\n\n', 'data: first\ndata:second\n\n'));
    expect(events).toEqual([{ event: 'message', data: 'first\nsecond', id: undefined }]);
  });

  it('drops a last event the stream cut off before its blank line', async () => {
    const events = await collect(body('event: a\ndata: 1\n\n', 'event: b\ndata: 2\n'));
    expect(events.map((e) => e.event)).toEqual(['a']);
  });
});
