import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chinookSqliteCopy } from './helpers/chinook';
import { FakeOpenAi } from './helpers/fake-openai';
import { badRequestArbitrary, FuzzRequest, LEAK_PATTERNS, Operation, operations } from './helpers/openapi-fuzz';
import { createTenant, SEED_OTHER } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';

/**
 * Every route of the committed OpenAPI document gets generated bad input: wrong types, missing
 * and extra fields, huge strings and arrays, deep JSON, control characters and NUL bytes, junk
 * limits and cursors, malformed and foreign ids, wrong content types, truncated bodies. Each
 * answer must be a clean client error (or a success, when the input happens to be valid): never
 * a 5xx, never a stack trace or driver message, and `/health/live` answers all along.
 */
const SPEC = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2_147_483_647);
const PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 50);
const IN_FLIGHT = 6;
/** Routes whose success changes what later requests see: fuzzed last, in this order. */
const LAST = ['/api/v1/settings/llm', '/api/v1/auth/logout', '/api/v1/auth/logout-all'];

interface Outcome {
  request: FuzzRequest;
  status: number;
  text: string;
}

describe(`every route under generated bad input (e2e, seed ${SEED})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fuzz-'));
  const llm = new FakeOpenAi();
  let t: TestApp;
  let token: string;
  const ids: Record<string, string> = {};
  const foreignIds: string[] = [];

  async function seed(path: string, body: unknown, as = token): Promise<any> {
    const res = await t.http.post(path, body, { token: as });
    if (res.status >= 300) throw new Error(`seeding ${path} failed: ${res.status} ${res.text}`);
    return res.body;
  }

  beforeAll(async () => {
    await llm.start();
    llm.fallback = { content: 'SELECT 1' };
    t = await startTestApp(
      {
        SQLITE_ALLOWED_DIRS: dir,
        SAFE_NETWORK_ALLOW: '127.0.0.1',
        RATE_LIMIT_PER_MINUTE: '1000000',
        PROBE_RATE_LIMIT_PER_MINUTE: '1000000',
        LOGIN_RATE_LIMIT_PER_IP: '1000000',
        LOGIN_RATE_LIMIT_PER_ACCOUNT: '1000000',
        LLM_PROVIDER: 'openai',
        LLM_MODEL: 'scripted',
        LLM_BASE_URL: llm.baseUrl,
        LLM_API_KEY: 'sk-test-fuzz',
        LLM_MAX_RETRIES: '0',
        LLM_TIMEOUT_MS: '5000',
      },
      { captureLogs: true },
    );
    token = await t.http.login('admin@acme.test', 'acme-admin-password');
    const connector = await seed('/api/v1/connectors', {
      name: 'Chinook',
      type: 'sqlite',
      config: { path: chinookSqliteCopy(dir) },
    });
    ids.id = connector.id;
    ids.docId = (
      await seed(`/api/v1/connectors/${ids.id}/documents`, { externalId: 'notes', name: 'Notes', content: 'x' })
    ).id;
    ids.annotationId = (
      await seed(`/api/v1/connectors/${ids.id}/schema/annotations`, { table: 'album', tags: ['catalog'] })
    ).id;
    await seed('/api/v1/nl2sql/query', { connectorId: ids.id, question: 'How many albums are there?' });
    const history = await t.http.get('/api/v1/history?limit=1', { token });
    ids.historyId = history.body.data[0].id;
    ids.runId = 'run_00000000000000';

    const globex = (await createTenant(t, SEED_OTHER)).admin.token;
    const foreign = await seed(
      '/api/v1/connectors',
      { name: 'Theirs', type: 'sqlite', config: { path: chinookSqliteCopy(dir, 'theirs.sqlite') } },
      globex,
    );
    foreignIds.push(foreign.id);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await llm.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function send(request: FuzzRequest): Promise<Outcome> {
    const res = await fetch(`${t.baseUrl}${request.path}`, {
      method: request.method,
      headers: { ...request.headers, authorization: `Bearer ${token}` },
      body: request.body,
      signal: AbortSignal.timeout(20_000),
    });
    // A stream that opened is a success; it is not read to its end.
    if (res.headers.get('content-type')?.includes('text/event-stream')) {
      await res.body?.cancel();
      return { request, status: res.status, text: '' };
    }
    return { request, status: res.status, text: await res.text() };
  }

  function problems(o: Outcome): string[] {
    const found: string[] = [];
    if (o.status >= 500) found.push(`answered ${o.status}`);
    for (const pattern of LEAK_PATTERNS) if (pattern.test(o.text)) found.push(`body leaks ${pattern}`);
    if (o.status >= 400) {
      let body: any;
      try {
        body = JSON.parse(o.text);
      } catch {
        found.push('error body is not JSON');
      }
      if (body && (body.statusCode !== o.status || typeof body.code !== 'string' || !body.requestId)) {
        found.push('error body lacks statusCode, code or requestId');
      }
    }
    return found;
  }

  it('answers every generated bad request with a clean 4xx (or a success), and stays live', async () => {
    const ordered: Operation[] = operations(SPEC).sort(
      (a, b) => LAST.indexOf(a.path) - LAST.indexOf(b.path) || a.path.localeCompare(b.path),
    );
    const requests: FuzzRequest[] = [];
    ordered.forEach((op, i) => {
      const arb = badRequestArbitrary(SPEC, op, ids, foreignIds);
      requests.push(...fc.sample(arb, { seed: SEED + i, numRuns: PER_OPERATION }));
    });
    expect(requests.length).toBeGreaterThanOrEqual(3000);

    // Liveness probe all along: every answer within 2 s (x slowdown on a loaded machine).
    let polling = true;
    const liveness: number[] = [];
    const poller = (async () => {
      while (polling) {
        const started = Date.now();
        const res = await fetch(`${t.baseUrl}/health/live`, { signal: AbortSignal.timeout(10_000) });
        liveness.push(res.status === 200 ? Date.now() - started : Number.POSITIVE_INFINITY);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const failures: string[] = [];
    let next = 0;
    const lanes = Array.from({ length: IN_FLIGHT }, async () => {
      while (next < requests.length) {
        const request = requests[next++];
        try {
          const outcome = await send(request);
          const found = problems(outcome);
          if (found.length) failures.push(`${request.label}: ${found.join('; ')} :: ${outcome.text.slice(0, 300)}`);
        } catch (error) {
          failures.push(`${request.label}: no answer (${(error as Error).message})`);
        }
      }
    });
    await Promise.all(lanes);
    polling = false;
    await poller;

    if (failures.length) {
      // The server's own account of each 5xx, by request id.
      const ids500 = failures.map((f) => /"requestId":"(req_\w+)"/.exec(f)?.[1]).filter(Boolean);
      const why = t.logs.filter((line) => ids500.some((id) => line.includes(id!)) && /"level":(50|"error")/.test(line));
      failures.push(...why.slice(0, 10).map((line) => `server log: ${line.slice(0, 600)}`));
      throw new Error(
        `seed ${SEED} (rerun with FUZZ_SEED=${SEED}): ${failures.length} bad answers\n${failures.slice(-50).join('\n')}`,
      );
    }
    expect(liveness.length).toBeGreaterThan(0);
    expect(liveness.filter((ms) => !Number.isFinite(ms))).toEqual([]);
    expect((await fetch(`${t.baseUrl}/health/ready`)).status).toBe(200);
  }, 600_000);
});
