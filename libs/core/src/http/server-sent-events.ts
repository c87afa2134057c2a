import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { DomainError } from '../errors/domain-error';

/** One server-sent event: its name and its JSON data. */
export interface ServerSentEvent {
  type: string;
  data: unknown;
}

/**
 * Writes `events` to `res` as a text/event-stream until they complete or the client leaves.
 * Routes call it only once their checks have passed: an error thrown before it (404, 429) is
 * answered with its status and the usual error body, which Nest's @Sse() cannot do for an
 * async handler once its headers are out.
 */
export function sendServerSentEvents(res: Response, events: Observable<ServerSentEvent>): void {
  res.status(200);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();
  let id = 0;
  const subscription = events.subscribe({
    next: (event) => res.write(`event: ${event.type}\nid: ${++id}\ndata: ${JSON.stringify(event.data)}\n\n`),
    error: (error: unknown) => {
      const known = error instanceof DomainError;
      const body = {
        statusCode: known ? error.status : 500,
        error: known ? error.message : 'Internal server error',
        code: known ? error.code : 'INTERNAL_ERROR',
        requestId: res.getHeader('x-request-id'),
      };
      res.end(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
    },
    complete: () => res.end(),
  });
  // The client left: stop producing, which also releases whatever the stream holds.
  res.on('close', () => subscription.unsubscribe());
}
