import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { waitForRun } from './helpers/runs';
import { startTestApp, TestApp } from './helpers/test-app';
import { query } from './helpers/test-env';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const FILES = 5000;

/** Reads a server-sent event stream to its end: [{ event, data }]. */
async function readEvents(url: string, token: string): Promise<Array<{ event: string; data: any }>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message',
      data: JSON.parse(/^data: (.*)$/m.exec(block)![1]),
    }));
}

describe('folder sync over 5,000 files with the real worker (e2e)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-sync-folder-'));
  let t: TestApp;
  let worker: INestApplicationContext;
  let token: string;
  let id: string;

  const run = (runId: string) => t.http.get(`/api/v1/connectors/${id}/runs/${runId}`, { token });
  const waitFor = (runId: string) => waitForRun(t.http, token, id, runId);

  beforeAll(async () => {
    for (let i = 0; i < FILES; i++)
      writeFileSync(join(root, `file-${String(i).padStart(5, '0')}.txt`), `content ${i}\n`);
    t = await startTestApp({ FOLDER_ALLOWED_ROOTS: root });
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.env), {
      logger: false,
      abortOnError: false,
    });
    await worker.init();
    token = await t.http.login(ADMIN.email, ADMIN.password);
    id = (await t.http.post('/api/v1/connectors', { name: 'Files', type: 'folder', config: { path: root } }, { token }))
      .body.id;
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('scans every file, streaming progress events and the final state', async () => {
    const started = await t.http.post(`/api/v1/connectors/${id}/scan-files`, undefined, { token });
    expect(started.status).toBe(202);
    const events = await readEvents(`${t.baseUrl}/api/v1/connectors/${id}/runs/${started.body.id}/events`, token);
    const last = events[events.length - 1];
    expect(last.event).toBe('final');
    expect(last.data).toMatchObject({
      id: started.body.id,
      status: 'succeeded',
      progress: { processed: FILES, created: FILES },
    });
    expect(events.filter((e) => e.event === 'progress').length).toBeGreaterThan(0);
    const docs = await t.http.get(`/api/v1/connectors/${id}/documents?limit=1`, { token });
    expect(docs.body.pagination.total).toBe(FILES);
  });

  it('counts exactly after deleting 10 files and adding 5', async () => {
    for (let i = 0; i < 10; i++) unlinkSync(join(root, `file-${String(i).padStart(5, '0')}.txt`));
    for (let i = 0; i < 5; i++) writeFileSync(join(root, `new-${i}.txt`), `new ${i}\n`);
    const started = await t.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token });
    const done = await waitFor(started.body.id);
    expect(done.progress).toMatchObject({
      processed: FILES - 5,
      created: 5,
      deleted: 10,
      unchanged: FILES - 10,
      updated: 0,
    });
    const synced = await t.http.get(`/api/v1/connectors/${id}/documents?status=synced&limit=1`, { token });
    const deleted = await t.http.get(`/api/v1/connectors/${id}/documents?status=deleted&limit=1`, { token });
    expect(synced.body.pagination.total).toBe(FILES - 5);
    expect(deleted.body.pagination.total).toBe(10);
    const search = await t.http.get(`/api/v1/connectors/${id}/documents?q=new-`, { token });
    expect(search.body.pagination.total).toBe(5);
  });

  it('stops a running sync within seconds, and writes nothing after the stop has answered', async () => {
    const started = await t.http.post(`/api/v1/connectors/${id}/sync?force=true`, undefined, { token });
    for (let i = 0; i < 200; i++) {
      const current = (await run(started.body.id)).body;
      if (current.status === 'running' && current.progress.processed > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const stopAt = Date.now();
    const stop = await t.http.post(`/api/v1/connectors/${id}/stop`, undefined, { token });
    expect(stop.status).toBe(200);
    const written = async () =>
      (
        await query<{ n: number }>(
          t.env.DATABASE_URL!,
          'SELECT count(*)::int AS n FROM documents WHERE last_seen_run_id = $1',
          [started.body.id],
        )
      )[0].n;
    const atStop = await written();

    const done = await waitFor(started.body.id);
    expect(done.status).toBe('cancelled');
    expect(Date.now() - stopAt).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await written()).toBe(atStop);
    expect(atStop).toBeLessThan(FILES - 5);
    // A cancelled run deletes nothing.
    const deleted = await t.http.get(`/api/v1/connectors/${id}/documents?status=deleted&limit=1`, { token });
    expect(deleted.body.pagination.total).toBe(10);
  });

  it('refuses scan-files for an SQL connector', async () => {
    const pg = await t.http.post(
      '/api/v1/connectors',
      { name: 'Db', type: 'postgresql', config: { host: 'db.example.com', database: 'x', user: 'x' } },
      { token },
    );
    const res = await t.http.post(`/api/v1/connectors/${pg.body.id}/scan-files`, undefined, { token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('SCAN_NOT_SUPPORTED');
  });
});
