import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';

/** Who called, as the auth guard left it on the request (core does not know the auth lib's type). */
interface Caller {
  tenantId?: string;
  userId?: string | null;
  apiKeyId?: string;
}

// Probes and scrapes arrive every few seconds: at debug, so they do not drown the real traffic.
const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * One JSON line per answered request: request id, tenant, user (or API key), method, route
 * template, status and duration. The path is left out on purpose: the route template names
 * the endpoint, the ids in a path are the caller's business. Secrets never reach this line
 * (no headers, no body), and the logger redacts by key besides.
 */
@Injectable()
export class RequestLogInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Http');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request & { requestId?: string; user?: Caller }>();
    const res = http.getResponse<Response>();
    const started = performance.now();
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const entry = {
        msg: 'request completed',
        requestId: req.requestId,
        tenantId: req.user?.tenantId ?? null,
        userId: req.user?.userId ?? null,
        ...(req.user?.apiKeyId ? { apiKeyId: req.user.apiKeyId } : {}),
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      };
      if (QUIET_ROUTES.has(route)) this.logger.debug(entry);
      else this.logger.log(entry);
    };
    res.once('finish', log);
    res.once('close', log);
    return next.handle();
  }
}
