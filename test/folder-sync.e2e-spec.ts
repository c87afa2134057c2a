import { QueueName } from '@sluice/core';
import { INestApplicationContext } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpResponse } from './helpers/http-client';
import { eventually, scaled } from './helpers/eventually';
import { waitForDocument, waitForRun } from './helpers/runs';
import { createTenant, inviteUser, SEED_OTHER } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';
import { query } from './helpers/test-env';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const FILES = 5000;
const FINISHED = ['succeeded', 'failed', 'cancelled'];

// Syncs of 5,000 files by the worker in this process, waited for by condition: more than Jest's
// default on a loaded machine.
jest.setTimeout(scaled(90_000));

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
    worker = await startTestWorker(t.env);
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
    // The stop must meet a run the worker is in the middle of, not a queued one.
    await eventually(
      async () => (await run(started.body.id)).body,
      (current) => current.status === 'running' && current.progress.processed > 0,
      15_000,
      { intervalMs: 20, what: 'the forced sync to be running with documents processed' },
    );
    const stop = await t.http.post(`/api/v1/connectors/${id}/stop`, undefined, { token });
    expect(stop.status).toBe(200);
    // Within seconds of the stop's answer (the one time bound, scaled by TEST_SLOWDOWN).
    const finished = eventually(
      async () => (await run(started.body.id)).body,
      (current) => FINISHED.includes(current.status),
      5000,
      { what: 'the stopped run to finish' },
    );
    finished.catch(() => undefined); // awaited below; a timeout must not surface as unhandled first
    const written = async () =>
      (
        await query<{ n: number }>(
          t.env.DATABASE_URL!,
          'SELECT count(*)::int AS n FROM documents WHERE last_seen_run_id = $1',
          [started.body.id],
        )
      )[0].n;
    const atStop = await written();

    const done = await finished;
    expect(done.status).toBe('cancelled');
    expect(done.progress.processed).toBeLessThan(FILES - 5);
    // Once the worker has let go of the job, nothing more can be written for this run.
    const queue = worker.get<Queue>(getQueueToken(QueueName.ConnectorSync));
    await eventually(
      () => queue.getActiveCount(),
      (active) => active === 0,
      10_000,
      {
        what: 'the worker to release the cancelled sync job',
      },
    );
    expect(await written()).toBe(atStop);
    expect(atStop).toBeLessThan(FILES - 5);
    // A cancelled run deletes nothing.
    const deleted = await t.http.get(`/api/v1/connectors/${id}/documents?status=deleted&limit=1`, { token });
    expect(deleted.body.pagination.total).toBe(10);
  });

  it('pages documents by cursor and serves one document, its content and a window of it', async () => {
    const seen = new Set<string>();
    let cursor: string | null = null;
    for (let page = 0; page < 3; page++) {
      const path = `/api/v1/connectors/${id}/documents?limit=50${cursor ? `&cursor=${cursor}` : ''}`;
      const res: HttpResponse = await t.http.get(path, { token });
      expect(res.body.data).toHaveLength(50);
      expect(res.body.pagination.hasMore).toBe(true);
      for (const d of res.body.data) seen.add(d.id);
      cursor = res.body.pagination.nextCursor;
    }
    expect(seen.size).toBe(150);

    const [doc] = (await t.http.get(`/api/v1/connectors/${id}/documents?q=file-04999`, { token })).body.data;
    const one = await t.http.get(`/api/v1/connectors/${id}/documents/${doc.id}`, { token });
    expect(one.body).toMatchObject({ id: doc.id, kind: 'file', externalId: 'file-04999.txt', status: 'synced' });
    const content = await t.http.get(`/api/v1/connectors/${id}/documents/${doc.id}/content`, { token });
    expect(content.body.content).toBe('content 4999');
    const window = await t.http.get(`/api/v1/connectors/${id}/documents/${doc.id}/content?bytesStart=8&bytesEnd=11`, {
      token,
    });
    expect(window.body.content).toBe('4999');
    expect(
      (await t.http.put(`/api/v1/connectors/${id}/documents/${doc.id}`, { content: 'x' }, { token })).body.code,
    ).toBe('CONTENT_READ_ONLY');
  });

  it('pages rows created within one millisecond without skipping any', async () => {
    const made: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await t.http.post(
        `/api/v1/connectors/${id}/documents`,
        { externalId: `micro/${n}`, name: `micro-${n}` },
        { token },
      );
      made.push(res.body.id);
    }
    // As if inserted microseconds apart: a cursor in milliseconds must still tell them apart.
    for (const [i, docId] of made.entries()) {
      await query(t.env.DATABASE_URL!, 'UPDATE documents SET created_at = $1 WHERE id = $2', [
        `2026-01-01T00:00:00.123${456 - i * 100}Z`,
        docId,
      ]);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `?q=micro-&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.http.get(`/api/v1/connectors/${id}/documents${qs}`, { token });
      seen.push(...res.body.data.map((d: { id: string }) => d.id));
      cursor = res.body.pagination.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...made].sort());
    for (const docId of made) await t.http.delete(`/api/v1/connectors/${id}/documents/${docId}`, { token });
  });

  it('adds, edits and deletes a document by hand, which a sync leaves alone', async () => {
    const created = await t.http.post(
      `/api/v1/connectors/${id}/documents`,
      { externalId: 'notes/glossary', name: 'Glossary', content: 'ARR' },
      { token },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'record', status: 'synced', size: 3 });
    expect(
      (
        await t.http.post(
          `/api/v1/connectors/${id}/documents`,
          { externalId: 'notes/glossary', name: 'Again' },
          { token },
        )
      ).status,
    ).toBe(409);
    const edited = await t.http.put(
      `/api/v1/connectors/${id}/documents/${created.body.id}`,
      { name: 'Terms', content: 'ARR, MRR' },
      { token },
    );
    expect(edited.body).toMatchObject({ name: 'Terms', size: 8 });
    expect(
      (await t.http.get(`/api/v1/connectors/${id}/documents/${created.body.id}/content`, { token })).body.content,
    ).toBe('ARR, MRR');

    const resync = await t.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token });
    await waitFor(resync.body.id);
    expect((await t.http.get(`/api/v1/connectors/${id}/documents/${created.body.id}`, { token })).body.status).toBe(
      'synced',
    );

    expect((await t.http.delete(`/api/v1/connectors/${id}/documents/${created.body.id}`, { token })).status).toBe(204);
    expect((await t.http.get(`/api/v1/connectors/${id}/documents/${created.body.id}`, { token })).status).toBe(404);
  });

  it('re-syncs one file from any state, and stops one that is queued', async () => {
    const docs = `/api/v1/connectors/${id}/documents`;
    const [doc] = (await t.http.get(`${docs}?q=file-04998`, { token })).body.data;
    writeFileSync(join(root, 'file-04998.txt'), 'a longer content than before\n');
    const queued = await t.http.post(`${docs}/${doc.id}/sync`, undefined, { token });
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('queued');
    expect(await waitForDocument(t.http, token, id, doc.id)).toMatchObject({ status: 'synced', size: 29 });
    expect((await t.http.get(`${docs}/${doc.id}/content`, { token })).body.content).toBe(
      'a longer content than before',
    );

    // From failed: the error is cleared once the file reads again.
    await query(t.env.DATABASE_URL!, "UPDATE documents SET status = 'failed', error = 'disk hiccup' WHERE id = $1", [
      doc.id,
    ]);
    await t.http.post(`${docs}/${doc.id}/sync`, undefined, { token });
    expect(await waitForDocument(t.http, token, id, doc.id)).toMatchObject({ status: 'synced', error: null });

    unlinkSync(join(root, 'file-04998.txt'));
    await t.http.post(`${docs}/${doc.id}/sync`, undefined, { token });
    expect((await waitForDocument(t.http, token, id, doc.id)).status).toBe('deleted');

    // With the worker away, the sync stays queued: a second ask returns it, a stop ends it.
    await worker.close();
    const [other] = (await t.http.get(`${docs}?q=file-04997`, { token })).body.data;
    expect((await t.http.post(`${docs}/${other.id}/sync`, undefined, { token })).status).toBe(202);
    const again = await t.http.post(`${docs}/${other.id}/sync`, undefined, { token });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('queued');
    const stopped = await t.http.post(`${docs}/${other.id}/stop`, undefined, { token });
    expect(stopped.status).toBe(200);
    expect(stopped.body.status).toBe('stopped');
    const nothing = await t.http.post(`${docs}/${other.id}/stop`, undefined, { token });
    expect(nothing.status).toBe(409);
    expect(nothing.body.code).toBe('NOTHING_RUNNING');
    writeFileSync(join(root, 'file-04997.txt'), 'changed while stopped\n');
    worker = await startTestWorker(t.env);
    // The stopped job reaches the worker and is dropped: the document keeps its old version.
    const queue = worker.get<Queue>(getQueueToken(QueueName.DocumentSync));
    const jobsOf = async (docId: string) =>
      (await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter(
        (job) => job?.data.documentId === docId,
      );
    const [consumed] = await eventually(
      async () => {
        const jobs = await jobsOf(other.id);
        return await Promise.all(jobs.map(async (job) => ({ state: await job.getState(), result: job.returnvalue })));
      },
      (states) => states.length === 1 && states[0].state === 'completed',
      20_000,
      { what: "the worker to consume the stopped document's job" },
    );
    // Completed without an outcome: the worker found the document no longer syncing and let it be.
    expect(consumed.result ?? null).toBeNull();
    expect((await t.http.get(`${docs}/${other.id}`, { token })).body).toMatchObject({
      status: 'stopped',
      checksum: other.checksum,
    });
  });

  it('refuses to sync a document added by hand, and to train a file connector', async () => {
    const record = await t.http.post(
      `/api/v1/connectors/${id}/documents`,
      { externalId: 'notes/hand', name: 'Hand' },
      { token },
    );
    const res = await t.http.post(`/api/v1/connectors/${id}/documents/${record.body.id}/sync`, undefined, { token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('DOCUMENT_NOT_SYNCABLE');
    const train = await t.http.post(`/api/v1/connectors/${id}/train`, { documentIds: [record.body.id] }, { token });
    expect(train.status).toBe(400);
    expect(train.body.code).toBe('TRAIN_NOT_SUPPORTED');
  });

  it('keeps document routes to their roles and tenant', async () => {
    const [doc] = (await t.http.get(`/api/v1/connectors/${id}/documents?limit=1`, { token })).body.data;
    const viewer = (await inviteUser(t, token, 'viewer', { email: 'view@acme.test', password: 'viewer-passphrase' }))
      .token;
    expect((await t.http.get(`/api/v1/connectors/${id}/documents/${doc.id}`, { token: viewer })).status).toBe(200);
    expect(
      (await t.http.post(`/api/v1/connectors/${id}/documents`, { externalId: 'v', name: 'v' }, { token: viewer }))
        .status,
    ).toBe(403);
    expect(
      (await t.http.put(`/api/v1/connectors/${id}/documents/${doc.id}`, { name: 'v' }, { token: viewer })).status,
    ).toBe(403);
    expect((await t.http.delete(`/api/v1/connectors/${id}/documents/${doc.id}`, { token: viewer })).status).toBe(403);
    for (const action of ['sync', 'stop']) {
      const res = await t.http.post(`/api/v1/connectors/${id}/documents/${doc.id}/${action}`, undefined, {
        token: viewer,
      });
      expect(res.status).toBe(403);
    }

    const other = (await createTenant(t, SEED_OTHER)).admin.token;
    for (const res of [
      await t.http.get(`/api/v1/connectors/${id}/documents/${doc.id}`, { token: other }),
      await t.http.get(`/api/v1/connectors/${id}/documents/${doc.id}/content`, { token: other }),
      await t.http.put(`/api/v1/connectors/${id}/documents/${doc.id}`, { name: 'x' }, { token: other }),
      await t.http.delete(`/api/v1/connectors/${id}/documents/${doc.id}`, { token: other }),
      await t.http.post(`/api/v1/connectors/${id}/documents/${doc.id}/sync`, undefined, { token: other }),
      await t.http.post(`/api/v1/connectors/${id}/documents/${doc.id}/stop`, undefined, { token: other }),
      await t.http.post(`/api/v1/connectors/${id}/documents`, { externalId: 'x', name: 'x' }, { token: other }),
    ]) {
      expect(res.status).toBe(404);
    }
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
