import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inviteUser } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const MAX_STREAMS = 2;

/** An open server-sent event stream: its status, the text read so far, and whether it ended. */
interface OpenStream {
  status: number;
  body: Record<string, any> | null;
  ended: Promise<boolean>;
  firstChunk: Promise<string>;
  close(): void;
}

async function openStream(url: string, token: string): Promise<OpenStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  if (!res.headers.get('content-type')?.includes('text/event-stream')) {
    return {
      status: res.status,
      body: (await res.json()) as Record<string, any>,
      ended: Promise.resolve(true),
      firstChunk: Promise.resolve(''),
      close: () => undefined,
    };
  }
  const reader = res.body!.getReader();
  let resolveFirst!: (chunk: string) => void;
  const firstChunk = new Promise<string>((resolve) => (resolveFirst = resolve));
  let text = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return true;
        text += Buffer.from(value).toString('utf8');
        if (text.includes('\n\n')) resolveFirst(text);
      }
    } catch {
      return false; // aborted by us
    }
  })();
  return { status: res.status, body: null, ended, firstChunk, close: () => abort.abort() };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

describe('sync run event streams (e2e)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-run-events-'));
  let t: TestApp;
  let admin: string;

  // No worker runs here: a started sync stays queued, so its stream stays open until something ends it.
  async function queuedRun(name: string): Promise<{ connectorId: string; url: string }> {
    const created = await t.http.post(
      '/api/v1/connectors',
      { name, type: 'folder', config: { path: root } },
      { token: admin },
    );
    expect(created.status).toBe(201);
    const run = await t.http.post(`/api/v1/connectors/${created.body.id}/sync`, undefined, { token: admin });
    expect(run.status).toBe(202);
    return {
      connectorId: created.body.id,
      url: `${t.baseUrl}/api/v1/connectors/${created.body.id}/runs/${run.body.id}/events`,
    };
  }

  beforeAll(async () => {
    writeFileSync(join(root, 'a.txt'), 'a\n');
    t = await startTestApp({ FOLDER_ALLOWED_ROOTS: root, MAX_EVENT_STREAMS_PER_USER: String(MAX_STREAMS) });
    admin = await t.http.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('ends the stream when its connector is deleted', async () => {
    const { connectorId, url } = await queuedRun('Deleted under a stream');
    const stream = await openStream(url, admin);
    expect(stream.status).toBe(200);
    expect(await stream.firstChunk).toContain('"status":"queued"');
    expect(await within(stream.ended, 500)).toBe('timeout');

    expect((await t.http.delete(`/api/v1/connectors/${connectorId}`, { token: admin })).status).toBe(204);
    const ended = await within(stream.ended, 3000);
    stream.close();
    expect(ended).toBe(true);
    // And a new stream of that run is a plain 404, with the usual error body.
    const gone = await openStream(url, admin);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });

  it(`answers 429 to a user's stream beyond ${MAX_STREAMS}, across API instances, and frees the slot on close`, async () => {
    const { url } = await queuedRun('Many streams');
    // A second API instance on the same database and Redis: the cap is the user's, not the instance's.
    const other = await startTestApp(
      {
        DATABASE_URL: t.env.DATABASE_URL!,
        REDIS_KEY_PREFIX: t.env.REDIS_KEY_PREFIX,
        JWT_SECRET: t.env.JWT_SECRET,
        ENCRYPTION_KEY: t.env.ENCRYPTION_KEY,
        FOLDER_ALLOWED_ROOTS: root,
        MAX_EVENT_STREAMS_PER_USER: String(MAX_STREAMS),
      },
      { keepData: true },
    );
    const open: OpenStream[] = [];
    try {
      const urlOnOther = url.replace(t.baseUrl, other.baseUrl);
      open.push(await openStream(url, admin), await openStream(urlOnOther, admin));
      expect(open.map((s) => s.status)).toEqual([200, 200]);
      for (const target of [url, urlOnOther]) {
        const refused = await openStream(target, admin);
        expect(refused.status).toBe(429);
        expect(refused.body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_STREAMS' });
      }

      // Another user of the tenant has slots of their own.
      const watcher = { email: `watcher-${Date.now()}@acme.test`, password: 'a-long-passphrase' };
      const viewer = await openStream(url, (await inviteUser(t, admin, 'viewer', watcher)).token);
      expect(viewer.status).toBe(200);
      open.push(viewer);

      // Closing a stream gives its slot back.
      open[0].close();
      let again: OpenStream | undefined;
      for (let i = 0; i < 40 && again?.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        again = await openStream(url, admin);
      }
      expect(again?.status).toBe(200);
      open.push(again!);
    } finally {
      for (const s of open) s.close();
      await other.close();
    }
  });
});
