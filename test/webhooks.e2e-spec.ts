import { signWebhook } from '@sluice/connectors';
import { scaled } from './helpers/eventually';
import type { HttpResponse } from './helpers/http-client';
import { seed, type Seed } from './helpers/seed';
import { startTestApp, type TestApp } from './helpers/test-app';
import { query } from './helpers/test-env';

jest.setTimeout(scaled(60_000));

const SECRET = 'whsec-acme-7f3a91c4e8b25d60a1f9c3e7b4d28a5f';
const OTHER_SECRET = 'whsec-globex-2b8e4d6f1a3c5e7b9d0f2a4c6e8b1d3f';
const MAX_BODY = 4_096;
const RATE_LIMIT = 40;

const now = () => String(Math.floor(Date.now() / 1000));

describe('webhook connectors (e2e)', () => {
  let t: TestApp;
  let s: Seed;
  let hookId: string;
  let otherHookId: string;
  let folderLikeId: string;
  let generatedSecret = '';

  /** POSTs `body` to a hook, signed with `secret` at `timestamp` unless headers are given. */
  const push = (
    id: string,
    body: string,
    options: { secret?: string; timestamp?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpResponse> => {
    const timestamp = options.timestamp ?? now();
    const headers = options.headers ?? {
      'x-sluice-timestamp': timestamp,
      'x-sluice-signature': signWebhook(options.secret ?? SECRET, timestamp, body),
    };
    return t.http.request('POST', `/api/v1/hooks/${id}`, { rawBody: body, headers });
  };

  const documents = async (id: string, token = s.tenant.admin.token) =>
    (await t.http.get(`/api/v1/connectors/${id}/documents?limit=100`, { token })).body.data as Array<
      Record<string, any>
    >;
  const storedRows = async (): Promise<number> =>
    Number(
      (
        await query<{ n: string }>(
          t.env.DATABASE_URL!,
          'SELECT count(*) AS n FROM documents WHERE connector_id = ANY($1)',
          [[hookId, otherHookId, folderLikeId]],
        )
      )[0].n,
    );

  beforeAll(async () => {
    t = await startTestApp(
      { WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY), WEBHOOK_RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) },
      { captureLogs: true },
    );
    s = await seed(t);
    const created = await t.http.post(
      '/api/v1/connectors',
      {
        name: 'Orders hook',
        type: 'webhook',
        config: { recordsPath: 'events', idField: 'id' },
        authConfig: { secret: SECRET },
      },
      { token: s.tenant.editor.token },
    );
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(SECRET);
    hookId = created.body.id;
    otherHookId = (
      await t.http.post(
        '/api/v1/connectors',
        { name: 'Globex hook', type: 'webhook', authConfig: { secret: OTHER_SECRET } },
        { token: s.other.admin.token },
      )
    ).body.id;
    // A connector of another type in the same tenant: its id must not take pushes.
    folderLikeId = (
      await t.http.post(
        '/api/v1/connectors',
        { name: 'An API', type: 'rest_api', config: { url: 'https://api.example.com/items' } },
        { token: s.tenant.editor.token },
      )
    ).body.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('generates a signing secret when none is given, shown once, and accepts pushes signed with it', async () => {
    const created = await t.http.post(
      '/api/v1/connectors',
      { name: 'Generated secret', type: 'webhook' },
      { token: s.tenant.editor.token },
    );
    expect(created.status).toBe(201);
    const secret = created.body.generatedSecrets?.secret as string;
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    generatedSecret = secret;
    expect(created.body.authConfig).toEqual({ secret: expect.not.stringContaining(secret) });
    const shown = await t.http.get(`/api/v1/connectors/${created.body.id}`, { token: s.tenant.editor.token });
    expect(shown.text).not.toContain(secret);
    expect(shown.body.generatedSecrets).toBeUndefined();
    const res = await push(created.body.id, JSON.stringify({ id: 'one' }), { secret });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ received: 1, created: 1 });
    await t.http.delete(`/api/v1/connectors/${created.body.id}`, { token: s.tenant.editor.token });
  });

  it('refuses a signing secret that is too short, naming the field', async () => {
    const res = await t.http.post(
      '/api/v1/connectors',
      { name: 'Short secret', type: 'webhook', authConfig: { secret: 'short' } },
      { token: s.tenant.editor.token },
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.details)).toContain('authConfig.secret');
  });

  it('probes as ready to receive', async () => {
    const res = await t.http.post(`/api/v1/connectors/${hookId}/test`, {}, { token: s.tenant.editor.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, message: expect.stringContaining(`/api/v1/hooks/${hookId}`) });
    expect(res.text).not.toContain(SECRET);
  });

  it('stores a correctly signed push as record documents, visible through the API', async () => {
    const body = JSON.stringify({
      events: [
        { id: 'evt_1', total: 10 },
        { id: 'evt_2', total: 20 },
      ],
    });
    const res = await push(hookId, body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ connectorId: hookId, received: 2, created: 2, updated: 0, unchanged: 0 });

    const docs = await documents(hookId);
    expect(docs.map((d) => d.externalId).sort()).toEqual(['evt_1', 'evt_2']);
    expect(docs[0]).toMatchObject({ kind: 'record', status: 'synced', mimeType: 'application/json' });
    const evt1 = docs.find((d) => d.externalId === 'evt_1')!;
    const content = await t.http.get(`/api/v1/connectors/${hookId}/documents/${evt1.id}/content`, {
      token: s.tenant.viewer.token,
    });
    expect(content.status).toBe(200);
    expect(JSON.parse(content.body.content)).toEqual({ id: 'evt_1', total: 10 });

    // The same records again are unchanged; a changed one is updated in place.
    const again = await push(
      hookId,
      JSON.stringify({
        events: [
          { total: 10, id: 'evt_1' },
          { id: 'evt_2', total: 21 },
        ],
      }),
    );
    expect(again.body).toMatchObject({ received: 2, created: 0, updated: 1, unchanged: 1 });
    expect(await documents(hookId)).toHaveLength(2);
  });

  describe('refused pushes store nothing', () => {
    const body = JSON.stringify({ events: [{ id: 'evil', total: 666 }] });
    let before: number;
    beforeEach(async () => {
      before = await storedRows();
    });
    afterEach(async () => {
      expect(await storedRows()).toBe(before);
      expect((await documents(hookId)).map((d) => d.externalId)).not.toContain('evil');
    });

    const expectRejected = (res: HttpResponse) => {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'WEBHOOK_REJECTED' });
      return res.body.error as string;
    };

    it('a wrong signature, a missing one, or one signed with another secret', async () => {
      const ts = now();
      const messages = [
        expectRejected(await push(hookId, body, { secret: OTHER_SECRET })),
        expectRejected(
          await push(hookId, body, {
            headers: { 'x-sluice-timestamp': ts, 'x-sluice-signature': `sha256=${'0'.repeat(64)}` },
          }),
        ),
        expectRejected(await push(hookId, body, { headers: { 'x-sluice-timestamp': ts } })),
        expectRejected(await push(hookId, body, { headers: {} })),
        expectRejected(
          await push(hookId, body, {
            headers: { 'x-sluice-timestamp': ts, 'x-sluice-signature': signWebhook(SECRET, ts, `${body} `) },
          }),
        ),
      ];
      expect(new Set(messages).size).toBe(1);
    });

    it('a timestamp older than 5 minutes, or too far in the future', async () => {
      const old = String(Math.floor(Date.now() / 1000) - 301);
      const future = String(Math.floor(Date.now() / 1000) + 400);
      expectRejected(await push(hookId, body, { timestamp: old }));
      expectRejected(await push(hookId, body, { timestamp: future }));
    });

    it('a replay of an accepted push', async () => {
      const ts = now();
      const fresh = JSON.stringify({ events: [{ id: 'evt_replay', total: 1 }] });
      expect((await push(hookId, fresh, { timestamp: ts })).status).toBe(202);
      before = await storedRows();
      expectRejected(await push(hookId, fresh, { timestamp: ts }));
    });

    it('another tenant’s connector id, a non-webhook connector id and an unknown id, all alike', async () => {
      const answers = [
        await push(otherHookId, body),
        await push(folderLikeId, body),
        await push('con_00000000000000000000000000', body),
        await push('x'.repeat(300), body),
      ];
      const messages = answers.map(expectRejected);
      expect(new Set(messages).size).toBe(1);
      expect(await documents(otherHookId, s.other.admin.token)).toEqual([]);
    });

    it('a body over WEBHOOK_MAX_BODY_BYTES: 413, announced or streamed', async () => {
      const big = JSON.stringify({ events: [{ id: 'evil', pad: 'x'.repeat(MAX_BODY) }] });
      const res = await push(hookId, big);
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ code: 'WEBHOOK_BODY_TOO_LARGE' });
      // Chunked, with no Content-Length: refused when the cap is crossed.
      const ts = now();
      const chunked = await fetch(`${t.baseUrl}/api/v1/hooks/${hookId}`, {
        method: 'POST',
        headers: { 'x-sluice-timestamp': ts, 'x-sluice-signature': signWebhook(SECRET, ts, big) },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(big));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
    });
  });

  it('answers a body that is not JSON, once signed, with 400 and stores nothing', async () => {
    const res = await push(hookId, 'not json');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('refuses, once signed, JSON nested too deep or holding a NUL, with 400 naming it', async () => {
    const deep = `${'['.repeat(t.env.JSON_MAX_DEPTH + 1)}${']'.repeat(t.env.JSON_MAX_DEPTH + 1)}`;
    expect((await push(hookId, deep)).body).toMatchObject({ code: 'JSON_TOO_DEEP' });
    expect((await push(hookId, '{"events":[{"id":"nul","v":"a\\u0000b"}]}')).body).toMatchObject({
      code: 'JSON_HAS_NUL',
    });
    expect((await documents(hookId)).map((d) => d.externalId)).not.toContain('nul');
  });

  it('stores one document when the same new record is pushed several times at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => push(hookId, JSON.stringify({ events: [{ id: 'evt_race', n: i }] }))),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect((await documents(hookId)).filter((d) => d.externalId === 'evt_race')).toHaveLength(1);
  });

  it('refuses a sync: webhook connectors are fed by pushes, and keep what was pushed', async () => {
    const count = (await documents(hookId)).length;
    const res = await t.http.post(`/api/v1/connectors/${hookId}/sync`, {}, { token: s.tenant.editor.token });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'CONNECTOR_RECEIVES_PUSHES' });
    expect(await documents(hookId)).toHaveLength(count);
  });

  it('limits pushes per connector (429 with Retry-After)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= RATE_LIMIT; i++) {
      statuses.push((await push(otherHookId, '{}', { headers: {} })).status);
    }
    expect(statuses.slice(0, -1).every((status) => status === 401 || status === 429)).toBe(true);
    const last = await push(otherHookId, '{}', { secret: OTHER_SECRET });
    expect(last.status).toBe(429);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another connector's budget is its own.
    expect((await push(hookId, JSON.stringify({ events: [] }))).status).toBe(202);
  });

  it('puts the signing secret in no response and no log line', async () => {
    const listed = await t.http.get(`/api/v1/connectors/${hookId}`, { token: s.tenant.admin.token });
    expect(listed.text).not.toContain(SECRET);
    expect(generatedSecret).not.toBe('');
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.some((line) => line.includes('Webhook push refused'))).toBe(true);
    for (const line of t.logs) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(OTHER_SECRET);
      expect(line).not.toContain(generatedSecret);
    }
  });
});
