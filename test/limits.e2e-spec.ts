import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chinookSqliteCopy } from './helpers/chinook';
import { eventually, scaled, withinTime } from './helpers/eventually';
import { FakeOpenAi } from './helpers/fake-openai';
import { seed } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';

const MAX_QUESTIONS = 2;
const MAX_SYNCS = 3;
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const SQL = 'SELECT count(*) AS albums FROM Album';
const fence = (sql: string) => `Here is the query:\n\`\`\`sql\n${sql}\n\`\`\``;
/** A JSON object nested `depth` levels deep, as text. */
const deepJson = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

jest.setTimeout(scaled(60_000));

/** What a raw TCP client received until the server closed the connection, and when. */
interface RawOutcome {
  text: string;
  closedAfterMs: number;
}

/**
 * A raw TCP client: `start` writes the first bytes, `drip` is written one byte every `everyMs`
 * (a slow-loris client), and nothing else is ever sent. Resolves when the server closes.
 */
function slowClient(port: number, start: string, drip: string, everyMs: number): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const began = Date.now();
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(start);
      let i = 0;
      if (drip) {
        timer = setInterval(() => {
          if (i < drip.length && socket.writable) socket.write(drip[i++]);
        }, everyMs);
      }
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may reset a connection it has answered while bytes are still dripping in.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text: Buffer.concat(chunks).toString('utf8'), closedAfterMs: Date.now() - began });
    });
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the server never closed the slow connection'));
    }, scaled(20_000)).unref();
  });
}

/** Status line, headers and JSON body of a raw HTTP answer. */
function parseRaw(text: string): { status: number; headers: string; body: any } {
  const [head, body] = text.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body: JSON.parse(body) };
}

describe('limits: body size, JSON depth, slow clients, concurrent questions and syncs per tenant (e2e)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-limits-'));
  const folder = mkdtempSync(join(tmpdir(), 'sluice-limits-folder-'));
  const llm = new FakeOpenAi();
  let t: TestApp;
  let port: number;
  let acme: string;
  let globex: string;
  const sqlite: Record<string, string> = {};

  const ask = (token: string, connectorId: string, signal?: AbortSignal) =>
    fetch(`${t.baseUrl}/api/v1/nl2sql/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connectorId, question: 'How many albums are there?' }),
      signal,
    });
  const askStream = (token: string, connectorId: string, signal?: AbortSignal) =>
    fetch(`${t.baseUrl}/api/v1/nl2sql/query/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connectorId, question: 'How many albums are there?' }),
      signal,
    });
  /** Status and body of an answer, asserted together so a failure shows why. */
  const outcome = async (res: Promise<Response>) => {
    const answer = await res;
    const text = await answer.text();
    return {
      status: answer.status,
      body: answer.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };
  const folderConnector = async (token: string, name: string) => {
    const res = await t.http.post('/api/v1/connectors', { name, type: 'folder', config: { path: folder } }, { token });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    writeFileSync(join(folder, 'a.txt'), 'a\n');
    await llm.start();
    t = await startTestApp({
      SAFE_NETWORK_ALLOW: '127.0.0.1',
      SQLITE_ALLOWED_DIRS: dir,
      FOLDER_ALLOWED_ROOTS: folder,
      LLM_PROVIDER: 'openai',
      LLM_MODEL: 'scripted',
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: 'sk-test',
      LLM_MAX_RETRIES: '0',
      NL2SQL_MAX_ATTEMPTS: '1',
      NL2SQL_MAX_CONCURRENT_PER_TENANT: String(MAX_QUESTIONS),
      SYNC_MAX_ACTIVE_PER_TENANT: String(MAX_SYNCS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_KEEPALIVE_TIMEOUT_MS: '1000',
      BODY_LIMIT: '16kb',
    });
    port = Number(new URL(t.baseUrl).port);
    const seeded = await seed(t);
    acme = seeded.tenant.admin.token;
    globex = seeded.other.admin.token;
    for (const [tenant, token] of [
      ['acme', acme],
      ['globex', globex],
    ]) {
      const res = await t.http.post(
        '/api/v1/connectors',
        { name: 'Chinook', type: 'sqlite', config: { path: chinookSqliteCopy(dir, `${tenant}.sqlite`) } },
        { token },
      );
      expect(res.status).toBe(201);
      sqlite[tenant] = res.body.id;
      // Introspected now, so the questions below wait on the model alone.
      expect((await t.http.get(`/api/v1/connectors/${res.body.id}/schema`, { token })).status).toBe(200);
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await llm.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over BODY_LIMIT, in the error body', async () => {
    const res = await t.http.post(
      '/api/v1/nl2sql/query',
      { connectorId: sqlite.acme, question: 'x'.repeat(20_000) },
      { token: acme },
    );
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', requestId: expect.any(String) });
  });

  it('answers 400 JSON_TOO_DEEP for JSON nested past JSON_MAX_DEPTH, in the error body', async () => {
    const res = await t.http.request('POST', '/api/v1/nl2sql/query', {
      token: acme,
      rawBody: `{"connectorId":"${sqlite.acme}","question":"q","extra":${deepJson(40)}}`,
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'JSON_TOO_DEEP', requestId: expect.any(String) });
    // Nesting within the limit gets past the parser (and is refused by validation instead).
    const shallow = await t.http.request('POST', '/api/v1/nl2sql/query', {
      token: acme,
      rawBody: `{"connectorId":"${sqlite.acme}","question":"q","extra":${deepJson(20)}}`,
    });
    expect(shallow.status).toBe(400);
    expect(shallow.body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses the N+1-th question in flight of a tenant with 429, another tenant unaffected, and frees the slots as questions end', async () => {
    llm.reply();
    llm.fallback = { content: fence(SQL), delayMs: scaled(4000) };
    // N questions held in flight by the slow model: one plain, one streamed.
    const plain = ask(acme, sqlite.acme);
    const streamed = askStream(acme, sqlite.acme);
    await eventually(
      () => llm.requests.length,
      (n) => n === MAX_QUESTIONS,
      10_000,
      { what: 'both questions at the model' },
    );

    const refused = await t.http.post(
      '/api/v1/nl2sql/query',
      { connectorId: sqlite.acme, question: 'How many albums are there?' },
      { token: acme },
    );
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      statusCode: 429,
      code: 'TOO_MANY_CONCURRENT_QUERIES',
      error: expect.stringContaining('NL2SQL_MAX_CONCURRENT_PER_TENANT'),
      requestId: expect.stringMatching(/^req_/),
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The streamed route refuses before its stream begins: a plain 429, not an event.
    const refusedStream = await askStream(acme, sqlite.acme);
    expect(refusedStream.status).toBe(429);
    expect(await refusedStream.json()).toMatchObject({ code: 'TOO_MANY_CONCURRENT_QUERIES' });

    // Another tenant's questions have slots of their own.
    expect(await outcome(ask(globex, sqlite.globex))).toMatchObject({
      status: 200,
      body: { result: { rows: [[347]] } },
    });

    // The N end (success); their slots are free again.
    expect(await outcome(plain)).toMatchObject({ status: 200, body: { result: { rows: [[347]] } } });
    const events = await (await streamed).text();
    expect(events).toContain('event: result');
    llm.fallback = { content: fence(SQL) };
    expect(await outcome(ask(acme, sqlite.acme))).toMatchObject({ status: 200 });
  });

  it('gives a slot back when its question fails, and when its client goes away', async () => {
    llm.reply();
    // A failure: the model errors out; the slot is free at once afterwards.
    llm.fallback = { status: 400 };
    for (let i = 0; i < MAX_QUESTIONS; i++) expect((await ask(acme, sqlite.acme)).status).not.toBe(200);
    llm.fallback = { content: fence(SQL) };
    expect(await outcome(ask(acme, sqlite.acme))).toMatchObject({ status: 200 });

    // Clients that leave while the model is still thinking (far longer than this test waits).
    llm.reply();
    llm.fallback = { content: fence(SQL), delayMs: scaled(60_000) };
    const gone = [new AbortController(), new AbortController()];
    const pending = [ask(acme, sqlite.acme, gone[0].signal), askStream(acme, sqlite.acme, gone[1].signal)];
    await eventually(
      () => llm.requests.length,
      (n) => n === MAX_QUESTIONS,
      10_000,
      { what: 'both questions at the model' },
    );
    expect((await ask(acme, sqlite.acme)).status).toBe(429);
    gone.forEach((c) => c.abort());
    await Promise.allSettled(pending);
    // A new question is let in well before the model would have answered the others.
    await withinTime(10_000, 'a slot freed by a client leaving', () =>
      eventually(
        async () => {
          const probe = new AbortController();
          const res = await askStream(acme, sqlite.acme, probe.signal);
          probe.abort();
          return res.status;
        },
        (status) => status === 200,
        10_000,
        { what: 'a question admitted after the clients left' },
      ),
    );
    llm.fallback = { content: fence(SQL) };
  });

  it('refuses the next sync past SYNC_MAX_ACTIVE_PER_TENANT with 429, even when started at once, another tenant unaffected', async () => {
    // No worker runs: every sync started stays queued.
    const ids = await Promise.all([0, 1, 2, 3, 4].map((i) => folderConnector(acme, `Folder ${i}`)));
    const starts = await Promise.all(
      ids.map((id) => t.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token: acme })),
    );
    const accepted = ids.filter((_, i) => starts[i].status === 202);
    const refused = ids.filter((_, i) => starts[i].status === 429);
    expect(starts.map((s) => s.status).sort()).toEqual([202, 202, 202, 429, 429]);
    expect(starts.find((s) => s.status === 429)!.body).toMatchObject({
      statusCode: 429,
      code: 'TOO_MANY_ACTIVE_SYNCS',
      error: expect.stringContaining('SYNC_MAX_ACTIVE_PER_TENANT'),
      requestId: expect.stringMatching(/^req_/),
    });
    expect(accepted).toHaveLength(MAX_SYNCS);

    // Asking again for a connector already syncing answers its run, not a refusal.
    const same = await t.http.post(`/api/v1/connectors/${accepted[0]}/sync`, undefined, { token: acme });
    expect(same.status).toBe(200);
    // scan-files counts the same way.
    const scan = await t.http.post(`/api/v1/connectors/${refused[0]}/scan-files`, undefined, { token: acme });
    expect(scan.status).toBe(429);
    expect(scan.body.code).toBe('TOO_MANY_ACTIVE_SYNCS');

    // Another tenant has room of its own.
    const theirs = await folderConnector(globex, 'Globex folder');
    expect((await t.http.post(`/api/v1/connectors/${theirs}/sync`, undefined, { token: globex })).status).toBe(202);

    // Stopping a queued run makes room for one more.
    expect((await t.http.post(`/api/v1/connectors/${accepted[0]}/stop`, undefined, { token: acme })).status).toBe(200);
    expect((await t.http.post(`/api/v1/connectors/${refused[0]}/sync`, undefined, { token: acme })).status).toBe(202);
    expect((await t.http.post(`/api/v1/connectors/${refused[1]}/sync`, undefined, { token: acme })).status).toBe(429);
  });

  it('cuts off a client sending its headers too slowly with 408 in the error body, serving others meanwhile', async () => {
    const slow = slowClient(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\n', 'X-Slow: ' + 'a'.repeat(200), 100);
    // While the slow client drips, others are served.
    const served = await t.http.get('/health/live');
    expect(served.status).toBe(200);
    const outcome = await withinTime(HEADERS_TIMEOUT_MS + 2000, 'a slow-loris client cut off', () => slow);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    const answer = parseRaw(outcome.text);
    expect(answer.status).toBe(408);
    expect(answer.headers).toMatch(/content-type: application\/json/i);
    expect(answer.body).toMatchObject({
      statusCode: 408,
      code: 'REQUEST_TIMEOUT',
      error: expect.any(String),
      requestId: expect.stringMatching(/^req_/),
    });
  });

  it('cuts off a client that never finishes its body with 408 in the error body', async () => {
    const head =
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":';
    const slow = slowClient(port, head, '', 0);
    expect((await t.http.get('/health/live')).status).toBe(200);
    const outcome = await withinTime(REQUEST_TIMEOUT_MS + 2000, 'a client stuck in its body cut off', () => slow);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    const answer = parseRaw(outcome.text);
    expect(answer.status).toBe(408);
    expect(answer.body).toMatchObject({ statusCode: 408, code: 'REQUEST_TIMEOUT', requestId: expect.any(String) });
    // The request had reached the app: the id is the one it was given there.
    expect(answer.headers).toContain(`X-Request-Id: ${answer.body.requestId}`);
  });

  it('answers malformed HTTP and oversized headers in the error body too', async () => {
    const garbage = parseRaw((await slowClient(port, 'NOT HTTP AT ALL\r\n\r\n', '', 0)).text);
    expect(garbage.status).toBe(400);
    expect(garbage.body).toMatchObject({ statusCode: 400, code: 'BAD_REQUEST', requestId: expect.any(String) });
    const huge = `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const big = parseRaw((await slowClient(port, huge, '', 0)).text);
    expect(big.status).toBe(431);
    expect(big.body).toMatchObject({ statusCode: 431, code: 'HEADERS_TOO_LARGE' });
  });
});
