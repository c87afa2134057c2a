import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomAlphanumeric } from '../ids/ids';

const SAFE_INCOMING_ID = /^[A-Za-z0-9._:-]{8,100}$/;

/**
 * Gives each request an id (kept from `X-Request-Id` when a proxy sent a sane one), echoes it
 * back in the response header, and puts it on the request for logs and error bodies.
 */
@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(req: Request & { requestId?: string }, res: Response, next: NextFunction): void {
    const incoming = req.header('x-request-id');
    req.requestId = incoming && SAFE_INCOMING_ID.test(incoming) ? incoming : `req_${randomAlphanumeric(16)}`;
    res.setHeader('X-Request-Id', req.requestId);
    next();
  }
}
