import { INestApplicationContext } from '@nestjs/common';
import { loadChinookPostgres } from './helpers/chinook';
import { waitForDocument, waitForRun } from './helpers/runs';
import { createTenant, inviteUser, SEED_OTHER } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';
import { dropDatabase, query, testVariables } from './helpers/test-env';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };

describe('connector sync with the real worker (e2e)', () => {
  const chinookUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_sync_');
  let t: TestApp;
  let worker: INestApplicationContext;
  let token: string;
  let connectorId: string;

  const waitFor = (runId: string) => waitForRun(t.http, token, connectorId, runId);

  async function syncOnce(force = false): Promise<Record<string, any>> {
    const started = await t.http.post(
      `/api/v1/connectors/${connectorId}/sync${force ? '?force=true' : ''}`,
      undefined,
      { token },
    );
    expect(started.status).toBe(202);
    return waitFor(started.body.id);
  }

  beforeAll(async () => {
    await loadChinookPostgres(chinookUrl);
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1' });
    worker = await startTestWorker(t.env);
    token = await t.http.login(ADMIN.email, ADMIN.password);
    const created = await t.http.post(
      '/api/v1/connectors',
      {
        name: 'Chinook',
        type: 'postgresql',
        config: {
          host: '127.0.0.1',
          port: 5432,
          database: new URL(chinookUrl).pathname.slice(1),
          user: 'postgres',
          ssl: { mode: 'disable' },
        },
        authConfig: { password: 'unused' },
      },
      { token },
    );
    connectorId = created.body.id;
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await dropDatabase(chinookUrl);
  });

  it('syncs 11 table documents whose DDL runs in a fresh database', async () => {
    const run = await syncOnce();
    expect(run).toMatchObject({ status: 'succeeded', progress: { processed: 11, created: 11, total: 11, deleted: 0 } });
    const docs = await t.http.get(`/api/v1/connectors/${connectorId}/documents?limit=100`, { token });
    expect(docs.body.pagination.total).toBe(11);
    expect(
      docs.body.data.every((d: { kind: string; status: string }) => d.kind === 'table' && d.status === 'synced'),
    ).toBe(true);

    const scratch = testVariables().DATABASE_URL;
    await query(scratch.replace(/\/[^/]+$/, '/postgres'), `CREATE DATABASE "${new URL(scratch).pathname.slice(1)}"`);
    try {
      // Tables first, then foreign keys may refer to any of them: run each DDL until all pass.
      let pending: string[] = docs.body.data.map((d: { metadata: { ddl: string } }) => d.metadata.ddl);
      for (let round = 0; round < 11 && pending.length; round++) {
        const failed: string[] = [];
        for (const ddl of pending) await query(scratch, ddl).catch(() => failed.push(ddl));
        pending = failed;
      }
      expect(pending).toEqual([]);
    } finally {
      await dropDatabase(scratch);
    }
  });

  it('marks a dropped table deleted, leaves an unchanged source unchanged, and updates all on force', async () => {
    await query(chinookUrl, 'DROP TABLE playlist_track');
    const afterDrop = await syncOnce();
    expect(afterDrop.progress).toMatchObject({ processed: 10, deleted: 1, created: 0 });
    const deleted = await t.http.get(`/api/v1/connectors/${connectorId}/documents?status=deleted`, { token });
    expect(deleted.body.data.map((d: { externalId: string }) => d.externalId)).toEqual(['public.playlist_track']);

    const again = await syncOnce();
    expect(again.progress).toMatchObject({ processed: 10, unchanged: 10, created: 0, updated: 0, deleted: 0 });
    const forced = await syncOnce(true);
    expect(forced.progress).toMatchObject({ processed: 10, updated: 10, unchanged: 0 });
    const runs = await t.http.get(`/api/v1/connectors/${connectorId}/runs`, { token });
    expect(runs.body.pagination.total).toBe(4);
  });

  it('re-syncs one table from the source, and trains tables with a result for each', async () => {
    const docs = (await t.http.get(`/api/v1/connectors/${connectorId}/documents?limit=100`, { token })).body.data;
    const byName = (name: string) => docs.find((d: { externalId: string }) => d.externalId === `public.${name}`);
    const artist = byName('artist');

    await query(chinookUrl, 'ALTER TABLE artist ADD COLUMN country varchar(60)');
    const queued = await t.http.post(`/api/v1/connectors/${connectorId}/documents/${artist.id}/sync`, undefined, {
      token,
    });
    expect(queued.status).toBe(202);
    expect(queued.body.status).toBe('queued');
    const synced = await waitForDocument(t.http, token, connectorId, artist.id);
    expect(synced.status).toBe('synced');
    expect(synced.metadata.ddl).toContain('country');
    expect(synced.checksum).not.toBe(artist.checksum);
    // Still gone at the source: the one-document sync leaves it deleted.
    const dropped = byName('playlist_track');
    await t.http.post(`/api/v1/connectors/${connectorId}/documents/${dropped.id}/sync`, undefined, { token });
    expect((await waitForDocument(t.http, token, connectorId, dropped.id)).status).toBe('deleted');

    const album = byName('album');
    const genre = byName('genre');
    await query(t.env.DATABASE_URL!, "UPDATE documents SET metadata = metadata - 'ddl' WHERE id = $1", [genre.id]);
    const trained = await t.http.post(
      `/api/v1/connectors/${connectorId}/train`,
      { documentIds: [artist.id, album.id, genre.id, dropped.id, 'doc_missing'] },
      { token },
    );
    expect(trained.status).toBe(200);
    expect(trained.body).toMatchObject({ trainedCount: 2, failedCount: 3 });
    expect(trained.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true, false, false, false]);
    expect(trained.body.results[2].reason).toMatch(/no DDL/);
    expect(trained.body.results[3].reason).toMatch(/no longer has/);
    expect(trained.body.results[4].reason).toMatch(/not found/);
    const marked = await t.http.get(`/api/v1/connectors/${connectorId}/documents/${album.id}`, { token });
    expect(marked.body.metadata).toMatchObject({ trained: true, ddl: expect.any(String) });
    expect(Date.parse(marked.body.metadata.trainedAt)).not.toBeNaN();

    // A forced sync rewrites every table from the source and keeps what training marked.
    await syncOnce(true);
    const after = await t.http.get(`/api/v1/connectors/${connectorId}/documents/${album.id}`, { token });
    expect(after.body.metadata).toMatchObject({ trained: true, trainedAt: marked.body.metadata.trainedAt });
    const genreAfter = await t.http.get(`/api/v1/connectors/${connectorId}/documents/${genre.id}`, { token });
    expect(genreAfter.body.metadata.ddl).toContain('CREATE TABLE');

    for (const body of [{}, { documentIds: [] }, { documentIds: 'doc_x' }, { documentIds: [42] }]) {
      const bad = await t.http.post(`/api/v1/connectors/${connectorId}/train`, body, { token });
      expect(bad.status).toBe(400);
    }
  });

  it('keeps one run per connector when two syncs are asked for at once', async () => {
    // With the worker paused the first run stays queued, so a quick run cannot end between the
    // two requests and let the second start a run of its own.
    await worker.close();
    const [a, b] = await Promise.all([
      t.http.post(`/api/v1/connectors/${connectorId}/sync`, undefined, { token }),
      t.http.post(`/api/v1/connectors/${connectorId}/sync`, undefined, { token }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(a.body.id).toBe(b.body.id);
    worker = await startTestWorker(t.env);
    await waitFor(a.body.id);
  });

  it('answers 409 to a stop with nothing running, and cancels a queued run at once', async () => {
    const nothing = await t.http.post(`/api/v1/connectors/${connectorId}/stop`, undefined, { token });
    expect(nothing.status).toBe(409);
    expect(nothing.body.code).toBe('NOTHING_RUNNING');

    // With the worker paused, the run stays queued until stopped.
    await worker.close();
    const queued = await t.http.post(`/api/v1/connectors/${connectorId}/sync`, undefined, { token });
    const stopped = await t.http.post(`/api/v1/connectors/${connectorId}/stop`, undefined, { token });
    expect(stopped.body).toMatchObject({ id: queued.body.id, status: 'cancelled', cancelRequested: true });
    worker = await startTestWorker(t.env);
  });

  it('ends a run whose stop came while its worker was dying, so later syncs are not blocked', async () => {
    await worker.close();
    const queued = await t.http.post(`/api/v1/connectors/${connectorId}/sync`, undefined, { token });
    // As left by a worker that took the run and died after the stop was recorded.
    await query(t.env.DATABASE_URL!, "UPDATE sync_runs SET status = 'running', cancel_requested = true WHERE id = $1", [
      queued.body.id,
    ]);
    worker = await startTestWorker(t.env);
    expect((await waitFor(queued.body.id)).status).toBe('cancelled');
    const next = await t.http.post(`/api/v1/connectors/${connectorId}/sync`, undefined, { token });
    expect(next.status).toBe(202);
    expect((await waitFor(next.body.id)).status).toBe('succeeded');
  });

  it('keeps syncs to editors and within the tenant', async () => {
    const viewer = (await inviteUser(t, token, 'viewer', { email: 'view@acme.test', password: 'viewer-passphrase' }))
      .token;
    expect((await t.http.post(`/api/v1/connectors/${connectorId}/sync`, undefined, { token: viewer })).status).toBe(
      403,
    );
    expect((await t.http.get(`/api/v1/connectors/${connectorId}/documents`, { token: viewer })).status).toBe(200);

    const other = (await createTenant(t, SEED_OTHER)).admin.token;
    const [doc] = (await t.http.get(`/api/v1/connectors/${connectorId}/documents?limit=1`, { token })).body.data;
    const train = { documentIds: [doc.id] };
    expect((await t.http.post(`/api/v1/connectors/${connectorId}/train`, train, { token: viewer })).status).toBe(403);
    for (const res of [
      await t.http.post(`/api/v1/connectors/${connectorId}/train`, train, { token: other }),
      await t.http.post(`/api/v1/connectors/${connectorId}/sync`, undefined, { token: other }),
      await t.http.post(`/api/v1/connectors/${connectorId}/stop`, undefined, { token: other }),
      await t.http.get(`/api/v1/connectors/${connectorId}/runs`, { token: other }),
      await t.http.get(`/api/v1/connectors/${connectorId}/documents`, { token: other }),
    ]) {
      expect(res.status).toBe(404);
    }
  });
});
