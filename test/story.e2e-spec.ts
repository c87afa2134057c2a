import { INestApplicationContext } from '@nestjs/common';
import {
  SluiceError,
  unwrap,
  type QueryStreamEvent,
  type RunEvent,
  type Schemas,
  type SluiceClient,
} from '@sluice/sdk';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChinookPostgres, localPostgresConnector } from './helpers/chinook';
import { scaled } from './helpers/eventually';
import { FakeOpenAi } from './helpers/fake-openai';
import { sdkSignedIn } from './helpers/sdk-client';
import { SEED_ADMIN, SEED_EDITOR, SEED_VIEWER } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';
import { dropDatabase, testVariables } from './helpers/test-env';

// Each step signs in (argon2) or waits on the worker or the model: seconds on a loaded machine.
jest.setTimeout(scaled(60_000));

const fence = (sql: string) => `Here is the query:\n\`\`\`sql\n${sql}\n\`\`\``;

/** The status a call was refused with (fails the test when the call succeeds). */
async function refusedWith(call: Promise<{ response: Response }>): Promise<string> {
  const error = await unwrap(call as Promise<{ data?: unknown; error?: unknown; response: Response }>).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SluiceError)) throw new Error('expected the call to be refused');
  return `${error.status} ${error.code}`;
}

/** Events of a run until its stream ends. */
async function follow(client: SluiceClient, id: string, runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const e of client.events('/connectors/{id}/runs/{runId}/events', { params: { path: { id, runId } } })) {
    events.push(e);
  }
  return events;
}

/**
 * The product's whole story, as a client team would drive it through the SDK: an admin connects
 * Chinook on PostgreSQL, syncs it, trains and annotates its tables, teaches an example, asks
 * questions of a local model, explains, reads history and promotes a good answer; a CSV file is
 * uploaded and read by windows; an editor and a viewer each meet the limits of their role.
 */
describe('the whole story through the SDK (e2e)', () => {
  const chinookUrl = testVariables().DATABASE_URL.replace('sluice_test_', 'chinook_story_');
  const storage = mkdtempSync(join(tmpdir(), 'sluice-story-'));
  const llm = new FakeOpenAi();
  let t: TestApp;
  let worker: INestApplicationContext;
  let admin: SluiceClient;
  let connectorId: string;
  let historyId: string;
  let fileConnectorId: string;

  beforeAll(async () => {
    await Promise.all([loadChinookPostgres(chinookUrl), llm.start()]);
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', STORAGE_DIR: storage, LLM_MAX_RETRIES: '0' });
    worker = await startTestWorker(t.env);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await llm.stop();
    await dropDatabase(chinookUrl);
    rmSync(storage, { recursive: true, force: true });
  });

  it('signs in and connects Chinook on PostgreSQL, tested', async () => {
    admin = await sdkSignedIn(t, SEED_ADMIN);
    expect((await unwrap(admin.GET('/auth/me'))).role).toBe('admin');
    const created = await unwrap(
      admin.POST('/connectors', {
        body: { name: 'Chinook', ...localPostgresConnector(chinookUrl) } as Schemas['CreateConnectorDto'],
      }),
    );
    connectorId = created.id;
    expect(created).toMatchObject({ name: 'Chinook', type: 'postgresql', authConfigured: true });
    expect(JSON.stringify(created)).not.toContain('unused-under-trust');

    const probe = await unwrap(admin.POST('/connectors/{id}/test', { params: { path: { id: connectorId } } }));
    expect(probe).toMatchObject({ success: true, type: 'postgresql', status: 'active' });
    const connector = await unwrap(admin.GET('/connectors/{id}', { params: { path: { id: connectorId } } }));
    expect(connector.status).toBe('active');
  });

  it('syncs, following the run by its events, and lists the 11 table documents', async () => {
    const run = await unwrap(admin.POST('/connectors/{id}/sync', { params: { path: { id: connectorId } } }));
    const events = await follow(admin, connectorId, run.id);
    const final = events.at(-1)!;
    expect(final.event).toBe('final');
    expect(final.data).toMatchObject({ status: 'succeeded', progress: { processed: 11, created: 11, total: 11 } });

    const documents: Schemas['DocumentResponseDto'][] = [];
    const query = { limit: 4 };
    for await (const d of admin.paginate('/connectors/{id}/documents', {
      params: { path: { id: connectorId }, query },
    }))
      documents.push(d);
    expect(documents.map((d) => d.externalId).sort()).toEqual(
      [
        'album',
        'artist',
        'customer',
        'employee',
        'genre',
        'invoice',
        'invoice_line',
        'media_type',
        'playlist',
        'playlist_track',
        'track',
      ].map((n) => `public.${n}`),
    );
    expect(documents.every((d) => d.kind === 'table' && d.status === 'synced')).toBe(true);
    const album = documents.find((d) => d.externalId === 'public.album')!;
    const one = await unwrap(
      admin.GET('/connectors/{id}/documents/{docId}', { params: { path: { id: connectorId, docId: album.id } } }),
    );
    expect(String(one.metadata.ddl)).toMatch(/CREATE TABLE[\s\S]*album_id/);
  });

  it('trains tables, reads the schema, and annotates a table', async () => {
    const docs = await unwrap(
      admin.GET('/connectors/{id}/documents', { params: { path: { id: connectorId }, query: { limit: 100 } } }),
    );
    const ids = docs.data.filter((d) => ['public.album', 'public.artist'].includes(d.externalId)).map((d) => d.id);
    const trained = await unwrap(
      admin.POST('/connectors/{id}/train', { params: { path: { id: connectorId } }, body: { documentIds: ids } }),
    );
    expect(trained).toMatchObject({ trainedCount: 2, failedCount: 0 });

    const schema = await unwrap(admin.GET('/connectors/{id}/schema', { params: { path: { id: connectorId } } }));
    expect(schema.dialect).toBe('postgresql');
    expect(schema.tables.map((tb) => tb.name).sort()).toContain('album');
    const album = schema.tables.find((tb) => tb.name === 'album')!;
    expect(album).toMatchObject({ trained: true, primaryKey: ['album_id'] });
    expect(album.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['album_id', 'title', 'artist_id']));
    expect(schema.tables.find((tb) => tb.name === 'genre')!.trained).toBe(false);
    expect(schema.relationships.length).toBeGreaterThan(0);

    const annotate = admin.POST('/connectors/{id}/schema/annotations', {
      params: { path: { id: connectorId } },
      body: { table: 'public.album', description: 'Records released by an artist (story annotation)' },
    });
    expect((await annotate).response.status).toBe(201);
    const note = await unwrap(annotate);
    expect(note).toMatchObject({ table: 'public.album', column: null, orphaned: false });
    const listed = await unwrap(
      admin.GET('/connectors/{id}/schema/annotations', { params: { path: { id: connectorId } } }),
    );
    expect(listed.data.map((a) => a.id)).toContain(note.id);
  });

  it('asks questions of a local model, with the annotation and a taught example in its prompt', async () => {
    const settings = await unwrap(
      admin.PUT('/settings/llm', {
        body: { provider: 'openai', model: 'scripted', baseUrl: llm.baseUrl, apiKey: 'sk-story-key', timeoutMs: 5000 },
      }),
    );
    expect(settings).toMatchObject({ source: 'tenant', provider: 'openai', apiKeySet: true });

    const example = await unwrap(
      admin.POST('/examples', {
        body: {
          connectorId,
          question: 'How many albums does each artist have?',
          sql: 'SELECT ar.name, count(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name',
          tags: ['albums'],
        },
      }),
    );
    expect(example.dialect).toBe('postgresql');

    llm.reply(fence('SELECT count(*) AS albums FROM album'));
    const answer = await unwrap(
      admin.POST('/nl2sql/query', { body: { connectorId, question: 'How many albums are there in total?' } }),
    );
    // A count (bigint) small enough to be exact comes back as a JSON number.
    expect(answer.result?.rows).toEqual([[347]]);
    expect(answer.attempts).toMatchObject([{ index: 1, source: 'llm', validationOk: true }]);
    expect(answer.tablesUsed.map((name) => name.replace(/^public\./, ''))).toEqual(['album']);
    expect(answer.examplesUsed).toContain(example.id);
    const prompt = JSON.stringify(llm.requests[0].messages);
    expect(prompt).toContain('Records released by an artist (story annotation)');
    expect(prompt).toContain('How many albums does each artist have?');
    historyId = answer.historyId!;

    // The same question, streamed: one event per stage, then the result.
    llm.reply(fence('SELECT count(*) AS artists FROM artist'));
    const events: QueryStreamEvent[] = [];
    for await (const e of admin.events('/nl2sql/query/stream', {
      body: { connectorId, question: 'How many artists are there?' },
    })) {
      events.push(e);
    }
    const stages = events.flatMap((e) => (e.event === 'stage' ? [e.data.stage] : []));
    expect(stages).toEqual(expect.arrayContaining(['linking', 'generating', 'validating', 'executing']));
    const last = events.at(-1)!;
    expect(last.event).toBe('result');
    if (last.event !== 'result') return;
    expect(last.data.result?.rows).toEqual([[275]]);
  });

  it('explains SQL, lists history, and promotes a good answer that then answers without the model', async () => {
    llm.reply(
      JSON.stringify({
        markdown: 'It counts the rows of the album table: one per album.',
        steps: [{ title: 'Count', body: 'count(*) over album' }],
      }),
    );
    const explained = await unwrap(
      admin.POST('/nl2sql/explain', { body: { connectorId, sql: 'SELECT count(*) FROM album' } }),
    );
    expect(explained).toMatchObject({ source: 'llm', steps: [{ title: 'Count', body: 'count(*) over album' }] });
    expect(explained.markdown).toContain('one per album');

    const history: Schemas['HistoryEntryResponseDto'][] = [];
    for await (const h of admin.paginate('/history', { params: { query: { connectorId, limit: 1 } } })) history.push(h);
    expect(history.map((h) => h.question).sort()).toEqual([
      'How many albums are there in total?',
      'How many artists are there?',
    ]);
    expect(history.every((h) => h.ok && h.rowCount === 1)).toBe(true);

    const promoted = await unwrap(
      admin.POST('/history/{id}/promote', { params: { path: { id: historyId } }, body: { tags: ['totals'] } }),
    );
    expect(promoted).toMatchObject({ question: 'How many albums are there in total?', tags: ['totals'] });
    expect(promoted.sql).toMatch(/count\(\*\)/i);
    const entry = await unwrap(admin.GET('/history/{id}', { params: { path: { id: historyId } } }));
    expect(entry.exampleId).toBe(promoted.id);

    llm.reply();
    const again = await unwrap(
      admin.POST('/nl2sql/query', { body: { connectorId, question: 'How many albums are there in total?' } }),
    );
    expect(again.attempts).toMatchObject([{ source: 'example', validationOk: true }]);
    expect(again.result?.rows).toEqual([[347]]);
    expect(llm.requests).toHaveLength(0);
  });

  it('uploads a CSV to a local_file connector and reads it by line and byte windows', async () => {
    const csv = ['id,city', ...Array.from({ length: 40 }, (_, i) => `${i + 1},city ${i + 1}`)].join('\n') + '\n';
    const created = await unwrap(
      admin.POST('/connectors', { body: { name: 'Cities', type: 'local_file', config: { fileName: 'cities.csv' } } }),
    );
    expect(created.status).toBe('pending_upload');
    fileConnectorId = created.id;
    const uploaded = await admin.upload(fileConnectorId, csv, { fileName: 'cities.csv', contentType: 'text/csv' });
    expect(uploaded).toMatchObject({ status: 'active', lastSyncRowCount: 40 });

    const path = { id: fileConnectorId };
    const lines = await unwrap(
      admin.GET('/connectors/{id}/content', { params: { path, query: { offset: 10, limit: 3 } } }),
    );
    expect(lines.content).toBe('10,city 10\n11,city 11\n12,city 12');
    expect(lines).toMatchObject({ contentType: 'text/csv', totalSize: Buffer.byteLength(csv) });
    expect(lines.chunkInfo).toMatchObject({ mode: 'lines', offset: 10, limit: 3, totalLines: 41, hasMore: true });

    const bytes = await unwrap(
      admin.GET('/connectors/{id}/content', { params: { path, query: { bytesStart: 8, bytesEnd: 16 } } }),
    );
    expect(bytes.content).toBe(csv.slice(8, 17));
    expect(bytes.chunkInfo).toMatchObject({ mode: 'bytes', bytesStart: 8, bytesEnd: 16 });
    const reversed = admin.GET('/connectors/{id}/content', { params: { path, query: { bytesStart: 9, bytesEnd: 2 } } });
    expect(await refusedWith(reversed)).toMatch(/^400 /);
  });

  it('lets an editor change and sync but not administer, and a viewer only read and ask', async () => {
    for (const [who, role] of [
      [SEED_EDITOR, 'editor'],
      [SEED_VIEWER, 'viewer'],
    ] as const) {
      await unwrap(admin.POST('/users', { body: { email: who.email, password: who.password, role } }));
    }
    const editor = await sdkSignedIn(t, SEED_EDITOR);
    const viewer = await sdkSignedIn(t, SEED_VIEWER);
    const id = connectorId;
    const path = { id };

    // Both read the tenant's connectors, documents and schema.
    for (const client of [editor, viewer]) {
      const names: string[] = [];
      for await (const c of client.paginate('/connectors')) names.push(c.name);
      expect(names.sort()).toEqual(['Chinook', 'Cities']);
      const docs = await unwrap(client.GET('/connectors/{id}/documents', { params: { path } }));
      expect(docs.pagination.total).toBe(11);
      const tables = await unwrap(client.GET('/connectors/{id}/schema/tables', { params: { path } }));
      expect(tables.tables.length).toBe(11);
    }

    // The viewer runs read-only SQL and reads history, and is refused every write.
    const run = await unwrap(
      viewer.POST('/nl2sql/execute', { body: { connectorId: id, sql: 'SELECT count(*) FROM track' } }),
    );
    expect(run.result.rows).toEqual([[3503]]);
    expect((await unwrap(viewer.GET('/history/{id}', { params: { path: { id: historyId } } }))).ok).toBe(true);
    const viewerWrites = [
      viewer.POST('/connectors', { body: { name: 'No', type: 'local_file', config: {} } }),
      viewer.POST('/connectors/{id}/sync', { params: { path } }),
      viewer.POST('/connectors/{id}/schema/annotations', { params: { path }, body: { table: 'public.track' } }),
      viewer.POST('/examples', { body: { connectorId: id, question: 'q', sql: 'SELECT 1' } }),
      viewer.POST('/history/{id}/promote', { params: { path: { id: historyId } }, body: {} }),
      viewer.DELETE('/connectors/{id}', { params: { path: { id: fileConnectorId } } }),
    ];
    for (const call of viewerWrites) expect(await refusedWith(call)).toBe('403 FORBIDDEN');

    // The editor syncs (and follows it), writes examples; administration stays the admin's.
    const sync = await unwrap(editor.POST('/connectors/{id}/sync', { params: { path } }));
    const final = (await follow(editor, id, sync.id)).at(-1)!;
    expect(final.data).toMatchObject({ status: 'succeeded', progress: { processed: 11, unchanged: 11 } });
    const mine = await unwrap(
      editor.POST('/examples', {
        body: { connectorId: id, question: 'List the genres', sql: 'SELECT name FROM genre' },
      }),
    );
    expect(mine.createdBy).toBe((await unwrap(editor.GET('/auth/me'))).user?.id);
    const adminOnly = [
      editor.GET('/users'),
      editor.POST('/api-keys', { body: { name: 'editor key', role: 'viewer' } }),
      editor.GET('/settings/llm'),
      editor.DELETE('/history/{id}', { params: { path: { id: historyId } } }),
    ];
    for (const call of adminOnly) expect(await refusedWith(call)).toBe('403 FORBIDDEN');
    // Nothing the refused calls asked for happened.
    expect((await unwrap(admin.GET('/history/{id}', { params: { path: { id: historyId } } }))).id).toBe(historyId);
    const keys = await unwrap(admin.GET('/api-keys'));
    expect(keys.data).toHaveLength(0);
  });
});
