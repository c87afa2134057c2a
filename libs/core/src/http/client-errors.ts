import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomAlphanumeric } from '../ids/ids';
import type { ErrorResponseDto } from '../errors/error-response.dto';

/** What Node's HTTP parser and timers report, as the status and error body we answer with. */
function answerFor(code: string | undefined): Omit<ErrorResponseDto, 'requestId'> {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        statusCode: 408,
        error: 'The request was not received in time (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)',
        code: 'REQUEST_TIMEOUT',
      };
    case 'HPE_HEADER_OVERFLOW':
      return { statusCode: 431, error: 'Request headers are too large', code: 'HEADERS_TOO_LARGE' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { statusCode: 413, error: 'Chunk extensions are too large', code: 'PAYLOAD_TOO_LARGE' };
    default:
      return { statusCode: 400, error: 'Malformed HTTP request', code: 'BAD_REQUEST' };
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers what never reaches Express (a request too slow to arrive, malformed HTTP, oversized
 * headers) with the API's error body instead of Node's bare status line, then closes the
 * connection. Mirrors Node's own handling: nothing is written once a response has begun.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    // A request already handed to Express has its id; one cut off in its headers gets a new one.
    const known = (pending?.req as { requestId?: string } | undefined)?.requestId;
    const requestId = known ?? `req_${randomAlphanumeric(16)}`;
    const answer = answerFor(err.code);
    const body = JSON.stringify({ ...answer, requestId });
    socket.end(
      `HTTP/1.1 ${answer.statusCode} ${REASONS[answer.statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    // The socket must not linger on a client that never reads: end() alone waits for it.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
