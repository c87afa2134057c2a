import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';
import { MetricsService } from './metrics.service';

/** Who called, as the auth guard left it on the request (core does not know the auth lib's type). */
interface Caller {
  tenantId?: string;
  userId?: string | null;
  apiKeyId?: string;
}

// Probes and scrapes arrive every few seconds: at debug, so they do not drown the real traffic.
const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * One timer per routed request, read once when the answer has gone out, for both of its uses:
 *
 * - the duration histogram of /metrics, labelled by the route pattern, never the raw path with
 *   its ids;
 * - one JSON log line: request id, tenant, user (or API key), method, route template, status and
 *   duration. The path is left out on purpose: the route template names the endpoint, the ids in
 *   a path are the caller's business. Secrets never reach this line (no headers, no body), and
 *   the logger redacts by key besides.
 *
 * Read at `finish` (or `close`, for a client that went away): a handler's error becomes its
 * status code only in the exception filter, after this interceptor's stream has ended.
 */
@Injectable()
export class RequestTimingInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Http');

  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request & { requestId?: string; user?: Caller }>();
    const res = http.getResponse<Response>();
    const started = performance.now();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      res.off('finish', record);
      res.off('close', record);
      const elapsedMs = performance.now() - started;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      this.metrics.httpDuration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        elapsedMs / 1000,
      );
      const entry = {
        msg: 'request completed',
        requestId: req.requestId,
        tenantId: req.user?.tenantId ?? null,
        userId: req.user?.userId ?? null,
        ...(req.user?.apiKeyId ? { apiKeyId: req.user.apiKeyId } : {}),
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round(elapsedMs * 10) / 10,
      };
      if (QUIET_ROUTES.has(route)) this.logger.debug(entry);
      else this.logger.log(entry);
    };
    res.on('finish', record);
    res.on('close', record);
    return next.handle();
  }
}
