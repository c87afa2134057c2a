import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';
import { MetricsService } from './metrics.service';

/** Times every routed request; labels use the route pattern, never the raw path with its ids. */
@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const stop = this.metrics.httpDuration.startTimer();
    // Recorded when the answer has gone out: a handler's error becomes its status code only in
    // the exception filter, after this interceptor's stream has ended.
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    };
    res.once('finish', record);
    res.once('close', record);
    return next.handle();
  }
}
