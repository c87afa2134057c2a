import { INestApplicationContext } from '@nestjs/common';
import { SluiceError, unwrap, type QueryStreamEvent, type RunEvent, type TokenPair } from '@sluice/sdk';
import { sign } from 'jsonwebtoken';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChinookPostgres, localPostgresConnector } from './helpers/chinook';
import { scaled } from './helpers/eventually';
import { sdkFor, sdkSignedIn } from './helpers/sdk-client';
import { SEED_ADMIN } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';
import { dropDatabase, testVariables } from './helpers/test-env';

// Each step signs in (argon2) or waits on the worker or the model: seconds on a loaded machine.
jest.setTimeout(scaled(60_000));

/** The SluiceError a call is refused with (fails the test when the call succeeds). */
async function refusal(call: Promise<unknown>): Promise<SluiceError> {
  const outcome = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof SluiceError)) throw new Error(`expected a SluiceError, got ${String(outcome)}`);
  return outcome;
}

/** A fetch that records the method and path of every request it sends. */
function recordingFetch(): { fetch: typeof globalThis.fetch; sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    fetch: (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      const url = new URL(request.url);
      sent.push(`${request.method} ${url.pathname}${url.search}`);
      return globalThis.fetch(request);
    },
  };
}

describe('the SDK against the real API (e2e)', () => {
  const chinookUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_sdk_');
  const storage = mkdtempSync(join(tmpdir(), 'sluice-sdk-'));
  let t: TestApp;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    await loadChinookPostgres(chinookUrl);
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', STORAGE_DIR: storage });
    worker = await startTestWorker(t.env);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await dropDatabase(chinookUrl);
    rmSync(storage, { recursive: true, force: true });
  });

  /** An access token re-signed as expired 50 minutes ago (same user, tenant and generation). */
  function expired(token: string): string {
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    const now = Math.floor(Date.now() / 1000);
    return sign(
      { sub: claims.sub, tid: claims.tid, typ: 'access', gen: claims.gen, iat: now - 3600, exp: now - 3000 },
      t.env.JWT_SECRET,
      { issuer: claims.iss, audience: claims.aud, algorithm: 'HS256' },
    );
  }

  it('signs in, keeps the token pair, and calls typed routes with it', async () => {
    const client = sdkFor(t);
    const pair = await client.login(SEED_ADMIN.email, SEED_ADMIN.password);
    expect(pair).toMatchObject({ tokenType: 'Bearer', role: 'admin', tenant: { name: 'Acme' } });
    expect(client.credentials).toMatchObject({ token: pair.accessToken, refreshToken: pair.refreshToken });
    const me = await unwrap(client.GET('/auth/me'));
    expect(me).toMatchObject({ role: 'admin', via: 'jwt', user: { email: SEED_ADMIN.email } });
    const ready = await unwrap(client.service.GET('/health/ready'));
    expect(ready.status).toBe('ok');
  });

  it('throws SluiceError with the status, code, message, field details and request id of the answer', async () => {
    const client = await sdkSignedIn(t, SEED_ADMIN);
    const missing = client.GET('/connectors/{id}', { params: { path: { id: 'conn_doesnotexist000' } } });
    const notFound = await refusal(unwrap(missing));
    const { response } = await missing;
    expect(notFound).toMatchObject({
      status: 404,
      code: 'CONNECTOR_NOT_FOUND',
      message: 'Connector not found',
      requestId: response.headers.get('x-request-id'),
    });

    const bad = await refusal(unwrap(client.POST('/connectors', { body: { name: '', type: 'postgresql' } })));
    expect(bad).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(bad.details.map((d) => d.field)).toContain('name');
    expect(bad.requestId).toMatch(/\S/);

    // Without credentials: the API's 401 body, not a network error.
    await expect(unwrap(sdkFor(t).GET('/auth/me'))).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('refreshes an expired access token once, retries the call, and hands the new pair over', async () => {
    const first = await sdkSignedIn(t, SEED_ADMIN);
    const { token, refreshToken } = first.credentials;
    const stale = expired(token!);
    await expect(unwrap(sdkFor(t, stale).GET('/auth/me'))).rejects.toMatchObject({
      status: 401,
      code: 'TOKEN_EXPIRED',
    });

    const heard: TokenPair[] = [];
    const wire = recordingFetch();
    const client = sdkFor(t, { token: stale, refreshToken }, { fetch: wire.fetch, onTokens: (p) => heard.push(p) });
    // Three calls meet the expired token at once: one refresh (a refresh token works once), three retries.
    const answers = await Promise.all([1, 2, 3].map(() => unwrap(client.GET('/auth/me'))));
    expect(answers.map((me) => me.user?.email)).toEqual([SEED_ADMIN.email, SEED_ADMIN.email, SEED_ADMIN.email]);
    expect(wire.sent.filter((r) => r === 'POST /api/v1/auth/refresh')).toHaveLength(1);
    expect(wire.sent.filter((r) => r === 'GET /api/v1/auth/me')).toHaveLength(6);
    expect(heard).toHaveLength(1);
    expect(client.credentials.token).toBe(heard[0].accessToken);
    expect(client.credentials.refreshToken).toBe(heard[0].refreshToken);
    expect(client.credentials.refreshToken).not.toBe(refreshToken);

    // The old refresh token is spent: a client still holding it gets the original 401.
    const spent = sdkFor(t, { token: stale, refreshToken });
    await expect(unwrap(spent.GET('/auth/me'))).rejects.toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
  });

  it('authenticates with an API key (X-API-Key) and acts with its role', async () => {
    const admin = await sdkSignedIn(t, SEED_ADMIN);
    const created = await unwrap(admin.POST('/api-keys', { body: { name: 'sdk test', role: 'viewer' } }));
    const wire = recordingFetch();
    const seen: string[] = [];
    const keyed = sdkFor(
      t,
      { apiKey: created.key },
      {
        fetch: (input, init) => {
          seen.push((input as Request).headers.get('x-api-key') ?? '');
          return wire.fetch(input, init);
        },
      },
    );
    expect(await unwrap(keyed.GET('/auth/me'))).toMatchObject({ via: 'api_key', role: 'viewer', user: null });
    expect(seen).toEqual([created.key]);
    await expect(
      unwrap(keyed.POST('/connectors', { body: { name: 'nope', type: 'local_file', config: {} } })),
    ).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('iterates a paged list across several pages, following the cursor', async () => {
    const client = await sdkSignedIn(t, SEED_ADMIN);
    const names = ['Paged A', 'Paged B', 'Paged C', 'Paged D', 'Paged E'];
    for (const name of names) {
      await unwrap(client.POST('/connectors', { body: { name, type: 'local_file', config: {} } }));
    }
    const wire = recordingFetch();
    const reader = sdkFor(t, client.credentials.token, { fetch: wire.fetch });
    const seen: string[] = [];
    for await (const c of reader.paginate('/connectors', { params: { query: { limit: 2, q: 'Paged' } } })) {
      seen.push(c.name);
    }
    expect(seen.sort()).toEqual(names);
    expect(wire.sent).toHaveLength(3);
    expect(wire.sent[0]).toBe('GET /api/v1/connectors?limit=2&q=Paged');
    expect(wire.sent[1]).toMatch(/^GET \/api\/v1\/connectors\?limit=2&q=Paged&cursor=\S+$/);
  });

  it('follows the server-sent events of a real sync run until final', async () => {
    const client = await sdkSignedIn(t, SEED_ADMIN);
    const connector = await unwrap(
      client.POST('/connectors', { body: { name: 'Chinook SDK', ...localPostgresConnector(chinookUrl) } as never }),
    );
    const id = connector.id;
    const run = await unwrap(client.POST('/connectors/{id}/sync', { params: { path: { id } } }));
    const events: RunEvent[] = [];
    for await (const e of client.events('/connectors/{id}/runs/{runId}/events', {
      params: { path: { id, runId: run.id } },
    })) {
      events.push(e);
    }
    const last = events.at(-1)!;
    expect(last.event).toBe('final');
    expect(last.data).toMatchObject({ id: run.id, status: 'succeeded', progress: { processed: 11, created: 11 } });
    expect(events.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
    // Each progress event is a run snapshot whose count never goes back.
    const processed = events.map((e) => (e.event === 'error' ? -1 : e.data.progress.processed));
    expect(processed).toEqual([...processed].sort((a, b) => a - b));

    // A streamed question that fails after the headers ends with an `error` event carrying the error body.
    const asked: QueryStreamEvent[] = [];
    for await (const e of client.events('/nl2sql/query/stream', { body: { connectorId: id, question: 'How many?' } })) {
      asked.push(e);
    }
    const failed = asked.at(-1)!;
    expect(failed.event).toBe('error');
    if (failed.event !== 'error') return;
    expect(SluiceError.fromBody(failed.data)).toMatchObject({ status: 503, code: 'LLM_NOT_CONFIGURED' });

    // An unknown run is a plain 404 before any event.
    const unknown = client.events('/connectors/{id}/runs/{runId}/events', {
      params: { path: { id, runId: 'run_doesnotexist000' } },
    });
    await expect(unknown.next()).rejects.toMatchObject({ status: 404, code: 'RUN_NOT_FOUND' });
  });

  it('reports every answer to the onResponse hook with the spec path template', async () => {
    const seen: Array<[string, string, number, unknown]> = [];
    const client = sdkFor(t, undefined, { onResponse: (m, p, s, b) => void seen.push([m, p, s, b]) });
    await client.login(SEED_ADMIN.email, SEED_ADMIN.password);
    await client.GET('/connectors/{id}', { params: { path: { id: 'conn_doesnotexist000' } } });
    await client.service.GET('/health/live');
    expect(seen.map(([m, p, s]) => `${m} ${p} ${s}`)).toEqual([
      'POST /api/v1/auth/login 200',
      'GET /api/v1/connectors/{id} 404',
      'GET /health/live 200',
    ]);
    expect(seen[1][3]).toMatchObject({ code: 'CONNECTOR_NOT_FOUND' });

    // A hook that throws fails the call: how a schema validator makes a wrong answer fail a test.
    const strict = sdkFor(t, client.credentials.token, {
      onResponse: () => {
        throw new Error('answer does not match the spec');
      },
    });
    await expect(strict.GET('/auth/me')).rejects.toThrow('answer does not match the spec');
  });
});
