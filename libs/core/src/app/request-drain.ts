import type { NextFunction, Request, Response } from 'express';
import type { Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const drains = new WeakMap<object, RequestDrain>();

const isStream = (res: ServerResponse): boolean =>
  /text\/event-stream/.test(String(res.getHeader('content-type') ?? ''));

/**
 * Graceful shutdown of the HTTP side: once draining, the server accepts no new connection, a
 * request arriving on a kept-alive one is answered 503 `SHUTTING_DOWN` (so a load balancer moves
 * it elsewhere), requests in flight run to their end within the grace period, and event streams
 * (which never end by themselves) are closed so that clients reconnect to another instance.
 */
export class RequestDrain {
  private readonly active = new Set<ServerResponse>();
  private draining = false;

  /** Express middleware: counts requests in flight, refuses new ones while draining. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (this.draining) {
      res.setHeader('Connection', 'close');
      res.status(503).json({
        statusCode: 503,
        error: 'This instance is shutting down: retry the request',
        code: 'SHUTTING_DOWN',
        requestId: (req as Request & { requestId?: string }).requestId ?? 'unknown',
      });
      return;
    }
    this.active.add(res);
    res.on('close', () => this.active.delete(res));
    next();
  };

  get inFlight(): number {
    return this.active.size;
  }

  /**
   * Stops taking requests and waits, at most `graceMs`, for those in flight (event streams
   * aside); then ends whatever is left and closes every connection.
   */
  async drain(server: Server, graceMs: number): Promise<void> {
    this.draining = true;
    server.close();
    server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.active].some((res) => !isStream(res))) await sleep(25);
    for (const res of this.active) res.end();
    server.closeAllConnections();
  }

  /** The drain of an app, made when the app is configured. */
  static of(app: object): RequestDrain {
    let drain = drains.get(app);
    if (!drain) {
      drain = new RequestDrain();
      drains.set(app, drain);
    }
    return drain;
  }
}
