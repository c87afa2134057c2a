import { INestApplicationContext } from '@nestjs/common';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { scaled } from './helpers/eventually';
import { waitForRun } from './helpers/runs';
import { seed, type Seed } from './helpers/seed';
import { startTestApp, type TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';

jest.setTimeout(scaled(90_000));

const TOKEN = 'tok-e2e-rest-4c9d2e7a1b6f';

describe('rest_api connectors over HTTP, synced by the worker (e2e)', () => {
  let t: TestApp;
  let worker: INestApplicationContext;
  let s: Seed;
  let api: Server;
  let origin: string;
  let id: string;
  const seen: IncomingHttpHeaders[] = [];
  // The records the API lists, three per page behind a cursor.
  let rows = [
    { id: 'a', v: 1 },
    { id: 'b', v: 2 },
    { id: 'c', v: 3 },
    { id: 'd', v: 4 },
  ];

  const editor = () => ({ token: s.tenant.editor.token });
  const sync = async () => {
    const started = await t.http.post(`/api/v1/connectors/${id}/sync`, {}, editor());
    expect(started.status).toBe(202);
    return waitForRun(t.http, s.tenant.editor.token, id, started.body.id);
  };
  const documents = async () =>
    (await t.http.get(`/api/v1/connectors/${id}/documents?limit=100`, editor())).body.data as Array<
      Record<string, any>
    >;

  beforeAll(async () => {
    api = createServer((req, res) => {
      seen.push(req.headers);
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end();
        return;
      }
      const after = Number(url.searchParams.get('after') ?? 0);
      const page = rows.slice(after, after + 3);
      const next = after + 3 < rows.length ? String(after + 3) : null;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ data: page, next }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1' }, { captureLogs: true });
    worker = await startTestWorker(t.env);
    s = await seed(t);
    const created = await t.http.post(
      '/api/v1/connectors',
      {
        name: 'Orders API',
        type: 'rest_api',
        config: {
          url: `${origin}/orders`,
          authType: 'bearer',
          pagination: { type: 'cursor', cursorPath: 'next', cursorParam: 'after' },
          recordsPath: 'data',
          idField: 'id',
        },
        authConfig: { token: TOKEN },
      },
      editor(),
    );
    expect(created.status).toBe(201);
    id = created.body.id;
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await new Promise((resolve) => api?.close(resolve));
  });

  it('is listed by GET /connector-types as ready', async () => {
    const list = (await t.http.get('/api/v1/connector-types', editor())).body.data as Array<Record<string, any>>;
    expect(list.find((type) => type.type === 'rest_api')).toMatchObject({ readiness: 'ready', category: 'api' });
    expect(list.find((type) => type.type === 'webhook')).toMatchObject({ readiness: 'ready', category: 'api' });
  });

  it('probes with an HTTP HEAD carrying the token; wrong credentials fail the probe', async () => {
    const ok = await t.http.post(`/api/v1/connectors/${id}/test`, {}, editor());
    expect(ok.body).toMatchObject({ success: true });
    const wrong = await t.http.post(
      '/api/v1/connectors/test-connection',
      { type: 'rest_api', config: { url: `${origin}/orders`, authType: 'bearer' }, authConfig: { token: 'nope-nope' } },
      editor(),
    );
    expect(wrong.body).toMatchObject({ success: false, message: expect.stringContaining('HTTP 401') });
  });

  it('refuses a probe redirected to the cloud metadata address', async () => {
    const res = await t.http.post(
      '/api/v1/connectors/test-connection',
      { type: 'rest_api', config: { url: `${origin}/to-metadata` } },
      editor(),
    );
    expect(res.body.success).not.toBe(true);
    expect(res.text).toMatch(/metadata|refused/i);
  });

  it('syncs records into documents, skips unchanged ones, and prunes those the API no longer lists', async () => {
    const first = await sync();
    expect(first).toMatchObject({ status: 'succeeded', progress: { created: 4, deleted: 0 } });
    let docs = await documents();
    expect(docs.map((d) => d.externalId).sort()).toEqual(['a', 'b', 'c', 'd']);
    const b = docs.find((d) => d.externalId === 'b')!;
    const content = await t.http.get(`/api/v1/connectors/${id}/documents/${b.id}/content`, editor());
    expect(JSON.parse(content.body.content)).toEqual({ id: 'b', v: 2 });

    expect(await sync()).toMatchObject({ status: 'succeeded', progress: { unchanged: 4, created: 0, updated: 0 } });

    rows = rows.filter((row) => row.id !== 'c').map((row) => (row.id === 'a' ? { ...row, v: 10 } : row));
    expect(await sync()).toMatchObject({ status: 'succeeded', progress: { updated: 1, unchanged: 2, deleted: 1 } });
    docs = await documents();
    expect(docs.find((d) => d.externalId === 'c')).toMatchObject({ status: 'deleted' });
    expect(
      docs
        .filter((d) => d.status === 'synced')
        .map((d) => d.externalId)
        .sort(),
    ).toEqual(['a', 'b', 'd']);
  });

  it('keeps the token out of every answer and log line', async () => {
    expect(seen.some((headers) => headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const answers = [
      await t.http.get(`/api/v1/connectors/${id}`, editor()),
      await t.http.get('/api/v1/connectors', editor()),
      await t.http.get(`/api/v1/connectors/${id}/documents?limit=100`, editor()),
      await t.http.get(`/api/v1/connectors/${id}/runs`, editor()),
    ];
    for (const answer of answers) expect(answer.text).not.toContain(TOKEN);
    expect(t.logs.length).toBeGreaterThan(0);
    for (const line of t.logs) expect(line).not.toContain(TOKEN);
  });
});
