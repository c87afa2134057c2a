import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, Server } from 'node:http';
import { EnvDto } from '../config/env.dto';
import { answerClientErrors } from '../http/client-errors';
import { checkJsonBody, urlHasNul } from '../http/json-depth';
import { RequestIdMiddleware } from '../http/request-id.middleware';
import { securityHeaders } from '../http/security-headers';
import { buildOpenApiDocument, serveOpenApi } from '../openapi/openapi';
import { RequestDrain } from './request-drain';
import { API_PREFIX } from './service.controller';

/** Where the queue dashboard (Bull Board) is mounted: its page, its /api and its /static. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** Routes that stay at the root, outside /api/v1. */
export const ROOT_ROUTES = [
  '/',
  'health/live',
  'health/ready',
  'metrics',
  'favicon.ico',
  // Bull Board keeps its route out of the prefix only when an exclusion matches the route itself.
  QUEUE_DASHBOARD_PATH.slice(1),
  `${QUEUE_DASHBOARD_PATH.slice(1)}/{*path}`,
];

// `POST /api/v1/connectors/{id}:upload` is the custom-method spelling of `/{id}/upload`.
const CUSTOM_METHOD = /^(\/api\/v1\/[a-z-]+\/[^/:?]+):([a-z][a-z-]*)(\?.*)?$/;
// Upload bodies are streamed by their route; a body parser must never buffer them.
const UPLOAD_PATH = /\/upload(?:\?|$)/;
// Webhook pushes are verified against their exact bytes (HMAC) and capped by their own route.
const HOOK_PATH = /^\/api\/v1\/hooks\//;

function rewriteCustomMethods(req: Request, _res: Response, next: NextFunction): void {
  const match = req.method === 'POST' ? CUSTOM_METHOD.exec(req.url) : null;
  if (match) req.url = `${match[1]}/${match[2]}${match[3] ?? ''}`;
  next();
}

const parsesAs =
  (kind: RegExp) =>
  (req: IncomingMessage): boolean =>
    kind.test(req.headers['content-type'] ?? '') && !UPLOAD_PATH.test(req.url ?? '') && !HOOK_PATH.test(req.url ?? '');

export function applyApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: ROOT_ROUTES });
}

/**
 * HTTP hygiene shared by `main.ts` and the e2e tests: request ids first (so even a body-parser
 * error carries one), security headers, CORS from env, body limits, the /api/v1 prefix, docs.
 * The app must be created with `bodyParser: false`.
 */
export function configureApp(app: NestExpressApplication, env: EnvDto): void {
  const requestId = new RequestIdMiddleware();
  app.use(requestId.use.bind(requestId));
  app.use(RequestDrain.of(app).middleware);
  if (env.TRUST_PROXY) app.set('trust proxy', true);
  app.disable('x-powered-by');
  // Bull Board's inline <script type="application/json"> is data, which script-src does not govern;
  // the Google Fonts stylesheet its page asks for is refused, and it falls back to system fonts.
  app.use(securityHeaders(env.HTTPS_ONLY));
  const origins = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  app.enableCors({
    origin: origins.length ? origins : false,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
  });
  app.use(rewriteCustomMethods);
  app.use(refuseNulInUrl);
  const json = {
    limit: env.BODY_LIMIT,
    type: parsesAs(/\bjson\b/i),
    // Checked before parsing: deep nesting would otherwise recurse through validation and
    // transformation, and PostgreSQL text cannot hold a NUL (both answered as 500s before).
    verify: (_req: IncomingMessage, _res: unknown, buf: Buffer) => checkJsonBody(buf, env.JSON_MAX_DEPTH),
  };
  // Nest's type leaves `verify` out (it sets one itself only with `rawBody: true`, unused here).
  app.useBodyParser('json', json as Parameters<typeof app.useBodyParser<'json'>>[1]);
  app.useBodyParser('urlencoded', { limit: env.BODY_LIMIT, extended: false, type: parsesAs(/x-www-form-urlencoded/i) });
  applyApiPrefix(app);
  serveOpenApi(app, buildOpenApiDocument(app));
}

/** A NUL in a path or query can name nothing we store (PostgreSQL text cannot hold one). */
function refuseNulInUrl(req: Request, _res: Response, next: NextFunction): void {
  if (urlHasNul(req.originalUrl ?? req.url)) {
    next(Object.assign(new Error('NUL in the URL'), { status: 400, expose: true, type: 'url.nul.byte' }));
    return;
  }
  next();
}

/**
 * Timeouts that stop slow clients from holding sockets open (slowloris and the like): headers
 * must arrive within HTTP_HEADERS_TIMEOUT_MS and the whole request within
 * HTTP_REQUEST_TIMEOUT_MS, else 408 REQUEST_TIMEOUT in the error body and the connection closes.
 * Call before `listen()`: Node checks the timeouts every `connectionsCheckingInterval` (30 s by
 * default, read when listening), set here to a fifth of the shorter one so a slow client is cut
 * off at most 20% late.
 */
export function applyServerTimeouts(app: NestExpressApplication, env: EnvDto): void {
  const server = app.getHttpServer() as Server;
  server.requestTimeout = env.HTTP_REQUEST_TIMEOUT_MS;
  // Node requires headers to be due no later than the whole request.
  server.headersTimeout = Math.min(env.HTTP_HEADERS_TIMEOUT_MS, env.HTTP_REQUEST_TIMEOUT_MS);
  server.keepAliveTimeout = env.HTTP_KEEPALIVE_TIMEOUT_MS;
  // A constructor option in Node's types, but read from the server when it starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    100,
    Math.floor(server.headersTimeout / 5),
  );
  answerClientErrors(server);
}
