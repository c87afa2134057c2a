/** One server-sent event as received: its name (`message` when the server named none), data and id. */
export interface ServerSentEvent<Name extends string = string, Data = unknown> {
  event: Name;
  /** The data lines, parsed as JSON when they are JSON (the API always sends JSON), else the text. */
  data: Data;
  id?: string;
}

/**
 * Reads a `text/event-stream` body event by event, following the WHATWG parsing rules that matter
 * here: `event:`, `data:` (several lines joined by a newline), `id:`, comments (`:`) ignored, an
 * empty line ends an event, and CRLF, LF or CR end a line.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  const dispatch = (): ServerSentEvent | undefined => {
    const ready = data.length ? { event: event || 'message', data: parse(data.join('\n')), id } : undefined;
    event = '';
    data = [];
    return ready;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: RegExpExecArray | null;
      while ((end = /\r\n|\r|\n/.exec(buffer))) {
        // A lone CR at the end of a chunk may be half of a CRLF: wait for the next chunk.
        if (end[0] === '\r' && end.index === buffer.length - 1) break;
        const line = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end[0].length);
        if (line === '') {
          const ready = dispatch();
          if (ready) yield ready;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? '' : line.slice(colon + 1);
        const text = raw.startsWith(' ') ? raw.slice(1) : raw;
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id') id = text;
      }
    }
    // The stream ended without the blank line after its last event: that event is dropped, as in browsers.
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
