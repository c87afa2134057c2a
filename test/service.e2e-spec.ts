import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './helpers/eventually';
import { startTestApp, TestApp } from './helpers/test-app';
import { TcpProxy } from './helpers/tcp-proxy';
import { clearRedisPrefix, dropDatabase, testVariables } from './helpers/test-env';

describe('service routes, OpenAPI and HTTP hygiene (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      CORS_ORIGINS: 'https://app.example.com',
      BODY_LIMIT: '10kb',
      METRICS_TOKEN: 'scrape-token-scrape-token-1234',
    });
  });
  afterAll(() => t?.close());

  it('GET / names the service and links the docs', async () => {
    const res = await t.http.get('/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: 'sluice',
      version: expect.any(String),
      docs: '/docs',
      openapi: '/openapi.json',
      api: '/api/v1',
    });
  });

  it('reports liveness and readiness with database and Redis up', async () => {
    expect((await t.http.get('/health/live')).body.status).toBe('ok');
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', dependencies: { database: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.http.get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('swagger-ui');
  });

  it('serves a valid OpenAPI 3 document where every operation is described and secured', async () => {
    const res = await t.http.get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();

    const publicOps = new Set([
      'service_info',
      'health_live',
      'health_ready',
      'auth_login',
      'auth_refresh',
      'auth_logout',
      // Authenticated by its HMAC signature, not a token: documented with its 401.
      'hooks_receive',
    ]);
    const ids = new Set<string>();
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect({ where, summary: typeof op.summary }).toEqual({ where, summary: 'string' });
        expect({ where, tags: op.tags?.length > 0 }).toEqual({ where, tags: true });
        expect(ids.has(op.operationId)).toBe(false);
        ids.add(op.operationId);
        // Header names are case-insensitive: one parameter per name and place.
        const params: string[] = (op.parameters ?? []).map((p: any) => `${p.in}:${String(p.name).toLowerCase()}`);
        expect({ where, twice: params.filter((p, i) => params.indexOf(p) !== i) }).toEqual({ where, twice: [] });
        if (!publicOps.has(op.operationId)) {
          expect({ where, security: op.security }).toEqual({ where, security: [{ bearer: [] }, { apiKey: [] }] });
          expect({ where, has401: '401' in op.responses, has403: '403' in op.responses }).toEqual({
            where,
            has401: true,
            has403: true,
          });
        }
      }
    }
    expect(doc.paths['/api/v1/auth/login'].post.requestBody).toBeDefined();
    expect(doc.paths['/api/v1/hooks/{connectorId}'].post.responses).toHaveProperty('401');
    // The committed document (what the SDK is generated from) is valid too.
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
    await expect(SwaggerParser.validate(committed)).resolves.toBeDefined();
    expect(Object.keys(committed.paths).sort()).toEqual(Object.keys(doc.paths).sort());
    expect(doc.components.schemas.ErrorResponseDto.properties).toHaveProperty('requestId');
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await t.http.get('/');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('serves /docs over plain HTTP without HSTS or upgrade-insecure-requests (a browser at http://<ip>:3000 loads it)', async () => {
    const docs = await t.http.get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(docs.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(docs.headers.get('strict-transport-security')).toBeNull();
  });

  it('allows only the configured CORS origins', async () => {
    const allowed = await t.http.request('OPTIONS', '/api/v1/auth/me', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await t.http.get('/', { headers: { origin: 'https://evil.example.net' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 413 in the error body for a body over BODY_LIMIT', async () => {
    const res = await t.http.post('/api/v1/auth/login', { email: 'a@b.co', password: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({
      statusCode: 413,
      code: 'PAYLOAD_TOO_LARGE',
      requestId: expect.stringMatching(/^req_/),
    });
  });

  it('answers 400 for malformed JSON without echoing parser internals', async () => {
    const res = await t.http.request('POST', '/api/v1/auth/login', {
      rawBody: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.statusCode).toBe(400);
    expect(res.text).not.toMatch(/at JSON\.parse|node_modules/);
  });

  it('gives every answer a request id, keeping a sane incoming one', async () => {
    const generated = await t.http.get('/api/v1/nowhere');
    expect(generated.status).toBe(404);
    expect(generated.body.requestId).toBe(generated.headers.get('x-request-id'));
    const kept = await t.http.get('/health/live', { headers: { 'x-request-id': 'trace-1234-abcd' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-1234-abcd');
    const hostile = await t.http.get('/health/live', { headers: { 'x-request-id': 'a b<script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^req_[0-9a-z]{16}$/);
  });

  it('exposes Prometheus metrics labelled by route pattern, with the status each answer had', async () => {
    const token = await t.http.login('admin@acme.test', 'acme-admin-password');
    const me = await t.http.get('/api/v1/auth/me', { token });
    const ownId: string = me.body.user.id;
    // Authenticated, so the guard lets both through and the metrics interceptor times them.
    const found = await t.http.get(`/api/v1/users/${ownId}`, { token });
    expect(found.status).toBe(200);
    const missing = await t.http.get('/api/v1/users/usr_abcdefghijklmnop', { token });
    expect(missing.status).toBe(404);

    const res = await t.http.get('/metrics', { token });
    expect(res.status).toBe(200);
    const count = (status: string) =>
      res.text.match(
        new RegExp(
          `^sluice_http_request_duration_seconds_count\\{method="GET",route="/api/v1/users/:id",status="${status}"\\} (\\d+)$`,
          'm',
        ),
      )?.[1];
    expect({ ok: count('200'), notFound: count('404') }).toEqual({ ok: '1', notFound: '1' });
    expect(res.text).not.toContain('usr_abcdefghijklmnop');
    expect(res.text).not.toContain(ownId);
  });
});

describe('readiness when a dependency goes away (e2e)', () => {
  it('answers 503 naming Redis, then the database, when each is cut off, and recovers', async () => {
    const redisProxy = await new TcpProxy('127.0.0.1', 6379).start();
    const pgProxy = await new TcpProxy('127.0.0.1', 5432).start();
    const vars = testVariables();
    const t = await startTestApp({
      DATABASE_URL: vars.DATABASE_URL.replace(':5432/', `:${pgProxy.port}/`),
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    });
    try {
      expect((await t.http.get('/health/ready')).status).toBe(200);

      await redisProxy.cut();
      const noRedis = await t.http.get('/health/ready');
      expect(noRedis.status).toBe(503);
      expect(noRedis.body).toMatchObject({ code: 'NOT_READY', error: 'Not ready: redis down' });
      expect(noRedis.body.details).toEqual([expect.objectContaining({ dependency: 'redis', status: 'down' })]);
      await pgProxy.cut();
      const neither = await t.http.get('/health/ready');
      expect(neither.status).toBe(503);
      expect(neither.body.details.map((d: { dependency: string }) => d.dependency).sort()).toEqual([
        'database',
        'redis',
      ]);
      expect(neither.text).not.toMatch(/password|postgresql:\/\//);
      expect((await t.http.get('/health/live')).status).toBe(200);

      await redisProxy.start();
      await pgProxy.start();
      const recovered = await eventually(
        () => t.http.get('/health/ready'),
        (res) => res.status === 200,
        10_000,
        { intervalMs: 200, what: 'readiness to recover once both proxies are back' },
      );
      expect(recovered.status).toBe(200);
    } finally {
      await t.app.close().catch(() => undefined);
      await redisProxy.cut();
      await pgProxy.cut();
      // The scratch database is dropped through the real port.
      await dropDatabase(vars.DATABASE_URL.replace(/sluice_test_\w+/, new URL(t.env.DATABASE_URL!).pathname.slice(1)));
      await clearRedisPrefix(t.env.REDIS_KEY_PREFIX);
    }
  });
});
