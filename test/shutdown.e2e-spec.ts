import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chinookSqliteCopy } from './helpers/chinook';
import { FakeOpenAi } from './helpers/fake-openai';
import { HttpClient } from './helpers/http-client';
import { clearRedisPrefix, dropDatabase, freePort, testVariables } from './helpers/test-env';

const ROOT = join(__dirname, '..');
const API_MAIN = join(ROOT, 'dist/apps/api/src/main.js');

/** Polls `probe` until it returns true; throws after `timeoutMs`. */
async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

describe('graceful shutdown of the API (e2e, built app)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-shutdown-'));
  const llm = new FakeOpenAi();
  let vars: Record<string, string>;
  let child: ChildProcess | undefined;
  let http: HttpClient;
  let exited: Promise<{ code: number | null; at: number }>;
  let stderr = '';

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-if-needed.js')], { cwd: ROOT, stdio: 'ignore' });
    await llm.start();
    mkdirSync(join(dir, 'sqlite'));
    const port = await freePort();
    vars = testVariables({
      PORT: String(port),
      SQLITE_ALLOWED_DIRS: join(dir, 'sqlite'),
      STORAGE_DIR: join(dir, 'storage'),
      SAFE_NETWORK_ALLOW: '127.0.0.1',
      LLM_PROVIDER: 'openai',
      LLM_MODEL: 'scripted',
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: 'sk-test-shutdown',
      LLM_MAX_RETRIES: '0',
      SHUTDOWN_GRACE_MS: '7000',
    });
    child = spawn(process.execPath, [API_MAIN], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...vars },
    });
    child.stderr!.on('data', (d) => (stderr += d));
    exited = new Promise((resolve) => child!.on('exit', (code) => resolve({ code, at: Date.now() })));
    http = new HttpClient(`http://127.0.0.1:${port}`);
    // Start-up runs migrations in a fresh database: generous on a loaded machine.
    let gone = false;
    void exited.then(() => (gone = true));
    await until(
      'the API to be ready',
      async () => {
        if (gone) throw new Error('the API exited');
        return (await http.get('/health/ready')).status === 200;
      },
      90_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; its stderr: ${stderr}`);
    });
  }, 180_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await llm.stop();
    await dropDatabase(vars.DATABASE_URL);
    await clearRedisPrefix(vars.REDIS_KEY_PREFIX);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets a request in flight finish, ends event streams, takes no new request, and exits 0 within 10 s of SIGTERM', async () => {
    const token = await http.login('admin@acme.test', 'acme-admin-password');
    const connector = await http.post(
      '/api/v1/connectors',
      { name: 'Chinook', type: 'sqlite', config: { path: chinookSqliteCopy(join(dir, 'sqlite')) } },
      { token },
    );
    expect(connector.status).toBe(201);
    // An event stream that would never end by itself: the run stays queued (no worker here).
    const run = await http.post(`/api/v1/connectors/${connector.body.id}/sync`, undefined, { token });
    expect(run.status).toBe(202);
    const stream = await fetch(`${http.baseUrl}/api/v1/connectors/${connector.body.id}/runs/${run.body.id}/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/);
    const streamEnded = (async () => {
      const reader = stream.body!.getReader();
      for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return Date.now();
    })();

    // The model takes 2 s to answer: the question is still in flight when SIGTERM comes.
    llm.reply({ content: 'SELECT count(*) AS albums FROM album', delayMs: 2000 });
    const inFlight = http.post(
      '/api/v1/nl2sql/query',
      { connectorId: connector.body.id, question: 'How many albums?' },
      { token },
    );
    await until('the question to reach the model', () => llm.requests.length === 1, 20_000);

    const signalledAt = Date.now();
    child!.kill('SIGTERM');
    // A new connection is refused (or, on a kept-alive one, answered 503 SHUTTING_DOWN).
    await until(
      'new requests to be refused',
      async () => {
        try {
          const res = await fetch(`${http.baseUrl}/health/live`, { headers: { connection: 'close' } });
          return res.status === 503 && ((await res.json()) as { code: string }).code === 'SHUTTING_DOWN';
        } catch {
          return true; // connection refused: the listener is closed
        }
      },
      5_000,
    );

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body.result.rows).toEqual([[347]]);

    expect(await streamEnded).toBeGreaterThanOrEqual(signalledAt);
    const { code, at } = await exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(at - signalledAt).toBeLessThan(10_000);
  }, 60_000);
});
