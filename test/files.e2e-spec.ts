import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './helpers/eventually';
import { inviteUser } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };

/** Every file below a directory, recursively (what is left on disk). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('uploaded files (e2e)', () => {
  let t: TestApp;
  let token: string;
  let storage: string;
  let folder: string;
  let base: string;

  beforeAll(async () => {
    storage = mkdtempSync(join(tmpdir(), 'sluice-storage-'));
    // base/root is the allowed folder; base/secret.txt sits just outside it.
    base = mkdtempSync(join(tmpdir(), 'sluice-folder-'));
    folder = join(base, 'root');
    mkdirSync(join(folder, 'exports'), { recursive: true });
    writeFileSync(join(base, 'secret.txt'), 'not yours');
    writeFileSync(
      join(folder, 'exports', 'orders.csv'),
      ['id,total', ...Array.from({ length: 50 }, (_, i) => `${i},${i * 10}`)].join('\n'),
    );
    t = await startTestApp({ STORAGE_DIR: storage, MAX_UPLOAD_BYTES: String(64 * 1024), FOLDER_ALLOWED_ROOTS: folder });
    token = await t.http.login(ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await t?.close();
    rmSync(storage, { recursive: true, force: true });
    rmSync(base, { recursive: true, force: true });
  });

  async function createFileConnector(name: string, config: Record<string, unknown> = {}): Promise<string> {
    const res = await t.http.post('/api/v1/connectors', { name, type: 'local_file', config }, { token });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('pending_upload');
    return res.body.id;
  }

  function upload(
    id: string,
    body: Buffer | string,
    path = `/api/v1/connectors/${id}/upload`,
    contentType = 'text/csv',
  ) {
    return t.http.request('POST', path, { token, rawBody: body as string, headers: { 'content-type': contentType } });
  }

  it('follows the two steps: created pending_upload, 409 on content, then upload makes it active', async () => {
    const id = await createFileConnector('Customers', { fileName: 'customers.csv' });
    const early = await t.http.get(`/api/v1/connectors/${id}/content`, { token });
    expect(early.status).toBe(409);
    expect(early.body.error).toBe('Connector is not active (status: pending_upload)');

    const csv = ['id,name', ...Array.from({ length: 250 }, (_, i) => `${i + 1},customer ${i + 1}`)].join('\n') + '\n';
    const res = await upload(id, csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'active',
      lastSyncRowCount: 250,
      metadata: { fileSize: Buffer.byteLength(csv), mimeType: 'text/csv', lastModified: expect.any(String) },
    });
    // Where the file is stored is the server's business: a client cannot point it elsewhere.
    const hijack = await t.http.put(
      `/api/v1/connectors/${id}`,
      { config: { storageKey: '../other/secret' } },
      { token },
    );
    expect(hijack.status).toBe(200);
    expect(hijack.body.config.storageKey).toBe(res.body.config.storageKey);

    const lines = await t.http.get(`/api/v1/connectors/${id}/content?offset=100&limit=3`, { token });
    expect(lines.status).toBe(200);
    expect(lines.body).toMatchObject({
      connectorId: id,
      encoding: 'utf-8',
      contentType: 'text/csv',
      totalSize: Buffer.byteLength(csv),
    });
    expect(lines.body.content).toBe('100,customer 100\n101,customer 101\n102,customer 102');
    expect(lines.body.chunkInfo).toMatchObject({ offset: 100, limit: 3, totalLines: 251 });

    const bytes = await t.http.get(`/api/v1/connectors/${id}/content?bytesStart=0&bytesEnd=6`, { token });
    expect(bytes.body.content).toBe('id,name');
    const bad = await t.http.get(`/api/v1/connectors/${id}/content?bytesStart=10&bytesEnd=2`, { token });
    expect(bad.status).toBe(400);
  });

  it('accepts the /{id}:upload spelling', async () => {
    const id = await createFileConnector('Colon form');
    const res = await upload(id, 'a,b\n1,2\n', `/api/v1/connectors/${id}:upload`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('active');
  });

  it('takes the file name from the X-File-Name header as from ?fileName=', async () => {
    const named = await createFileConnector('Header named');
    const byHeader = await t.http.request('POST', `/api/v1/connectors/${named}/upload`, {
      token,
      rawBody: 'a,b\n1,2\n',
      headers: { 'content-type': 'application/octet-stream', 'x-file-name': 'pairs.csv' },
    });
    const anonymous = await createFileConnector('Not named');
    const without = await upload(anonymous, 'a,b\n1,2\n', undefined, 'application/octet-stream');
    expect(byHeader.status).toBe(200);
    expect(without.status).toBe(200);
    // The name's extension tells a CSV from plain text when the body's type does not.
    expect({ named: byHeader.body.metadata.mimeType, anonymous: without.body.metadata.mimeType }).toEqual({
      named: 'text/csv',
      anonymous: 'text/plain',
    });
  });

  it('decodes a latin-1 file as declared', async () => {
    const id = await createFileConnector('Latin', { fileName: 'cities.txt', encoding: 'latin1' });
    await upload(id, Buffer.from('Café São Paulo\nMünchen\n', 'latin1'), undefined, 'application/octet-stream');
    const res = await t.http.get(`/api/v1/connectors/${id}/content`, { token });
    expect(res.body.content).toBe('Café São Paulo\nMünchen');
  });

  it('answers 413 over MAX_UPLOAD_BYTES and keeps nothing', async () => {
    const id = await createFileConnector('Too big');
    const before = filesUnder(storage).length;
    const res = await upload(id, Buffer.alloc(100 * 1024, 'x'), undefined, 'application/octet-stream');
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('FILE_TOO_LARGE');
    expect(filesUnder(storage)).toHaveLength(before);
    expect((await t.http.get(`/api/v1/connectors/${id}`, { token })).body.status).toBe('pending_upload');
  });

  /** Sends part of a declared body, then drops the connection. */
  async function interruptedUpload(id: string, contentType = 'application/octet-stream'): Promise<void> {
    const { port } = new URL(t.baseUrl);
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/api/v1/connectors/${id}/upload`,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': contentType,
          'content-length': 50_000,
        },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(20_000, 'y'));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
  }

  it('keeps the connector pending_upload and no partial file when the client disconnects mid-upload', async () => {
    const id = await createFileConnector('Interrupted');
    const before = filesUnder(storage).length;
    await interruptedUpload(id);
    // The server notices the cut connection on its own time, then removes the partial file.
    await eventually(
      () => filesUnder(storage).length,
      (n) => n === before,
      10_000,
      {
        what: "the interrupted upload's temporary file to be removed",
      },
    );
    expect((await t.http.get(`/api/v1/connectors/${id}`, { token })).body.status).toBe('pending_upload');
    expect(filesUnder(storage)).toHaveLength(before);
  });

  it('keeps the previous file active and whole when a replacing upload is cut mid-stream', async () => {
    const id = await createFileConnector('Replaced', { fileName: 'kept.csv' });
    const csv = 'id,name\n1,first\n2,second\n';
    expect((await upload(id, csv)).status).toBe(200);
    const active = (await t.http.get(`/api/v1/connectors/${id}`, { token })).body;
    const before = filesUnder(storage).sort();

    await interruptedUpload(id, 'text/csv');
    await eventually(
      () => filesUnder(storage).sort(),
      (files) => files.join('\n') === before.join('\n'),
      10_000,
      { what: "the interrupted replacement's temporary file to be removed" },
    );
    const after = (await t.http.get(`/api/v1/connectors/${id}`, { token })).body;
    expect(after).toMatchObject({
      status: 'active',
      config: { storageKey: active.config.storageKey },
      metadata: { fileSize: Buffer.byteLength(csv) },
      lastSyncRowCount: 2,
    });
    const content = await t.http.get(`/api/v1/connectors/${id}/content`, { token });
    expect(content.status).toBe(200);
    expect(content.body).toMatchObject({ content: csv.trimEnd(), totalSize: Buffer.byteLength(csv) });
  });

  it('refuses uploads to other connector types and deletes stored files with the connector', async () => {
    const pg = await t.http.post(
      '/api/v1/connectors',
      { name: 'Not a file', type: 'postgresql', config: { host: 'db.example.com', database: 'x', user: 'x' } },
      { token },
    );
    const refused = await upload(pg.body.id, 'a,b\n');
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('UPLOAD_NOT_SUPPORTED');

    const id = await createFileConnector('Short lived');
    await upload(id, 'x\n');
    const withFile = filesUnder(storage).filter((f) => f.includes(id));
    expect(withFile.length).toBeGreaterThan(0);
    expect((await t.http.delete(`/api/v1/connectors/${id}`, { token })).status).toBe(204);
    expect(filesUnder(storage).filter((f) => f.includes(id))).toEqual([]);
  });

  it('serves a 10 MiB window whole as JSON written in pieces, escapes and all', async () => {
    // One line of 12 MiB with quotes, backslashes, newlines escaped in JSON and text beyond ASCII.
    const text = 'a "quoted", \\ back\tslash, Café 😀 '.repeat(300_000);
    mkdirSync(join(folder, 'big'), { recursive: true });
    writeFileSync(join(folder, 'big', 'one-line.txt'), text);
    const created = await t.http.post(
      '/api/v1/connectors',
      { name: 'Big line', type: 'folder', config: { path: join(folder, 'big') } },
      { token },
    );
    expect(created.status).toBe(201);
    const res = await t.http.get(`/api/v1/connectors/${created.body.id}/content?path=one-line.txt&bytesStart=0`, {
      token,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    // Streamed: no length known up front.
    expect(res.headers.get('content-length')).toBeNull();
    const window = Buffer.from(text).subarray(0, 10 * 1024 * 1024);
    expect(res.body).toMatchObject({
      connectorId: created.body.id,
      encoding: 'utf-8',
      chunkInfo: { mode: 'bytes', bytesStart: 0, bytesEnd: window.length - 1, hasMore: true },
    });
    expect(res.body.content).toBe(new TextDecoder().decode(window));
  });

  it('serves windows of a folder file by path, and nothing outside the folder', async () => {
    const created = await t.http.post(
      '/api/v1/connectors',
      { name: 'Exports', type: 'folder', config: { path: folder } },
      { token },
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    const lines = await t.http.get(`/api/v1/connectors/${id}/content?path=exports/orders.csv&offset=3&limit=2`, {
      token,
    });
    expect(lines.status).toBe(200);
    expect(lines.body).toMatchObject({
      content: '2,20\n3,30',
      contentType: 'text/csv',
      chunkInfo: { mode: 'lines', returnedLines: 2, hasMore: true },
    });
    const last = await t.http.get(`/api/v1/connectors/${id}/content?path=exports/orders.csv&offset=50&limit=10`, {
      token,
    });
    expect(last.body).toMatchObject({ content: '49,490', chunkInfo: { returnedLines: 1, hasMore: false } });
    const bytes = await t.http.get(`/api/v1/connectors/${id}/content?path=exports/orders.csv&bytesStart=0&bytesEnd=7`, {
      token,
    });
    expect(bytes.body.content).toBe('id,total');

    expect((await t.http.get(`/api/v1/connectors/${id}/content`, { token })).body.code).toBe('PATH_REQUIRED');
    const escape = await t.http.get(`/api/v1/connectors/${id}/content?path=../secret.txt`, { token });
    expect(escape.status).toBeGreaterThanOrEqual(400);
    expect(escape.status).toBeLessThan(500);
    expect(escape.text).not.toContain('not yours');
    const outside = await t.http.post(
      '/api/v1/connectors',
      { name: 'Root', type: 'folder', config: { path: '/etc' } },
      { token },
    );
    expect(outside.status).toBe(400);
    expect(outside.body.details).toEqual([expect.objectContaining({ field: 'config.path' })]);
  });

  it('takes an uploaded SQLite database for an sqlite connector, and refuses other files for it', async () => {
    const dbFile = join(base, 'tiny.sqlite');
    const db = new BetterSqlite3(dbFile);
    db.exec(
      "CREATE TABLE planet (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO planet (name) VALUES ('Mercury'), ('Venus');",
    );
    db.close();

    const created = await t.http.post('/api/v1/connectors', { name: 'Uploaded SQLite', type: 'sqlite' }, { token });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending_upload');
    const id = created.body.id;
    expect((await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token })).body).toMatchObject({
      success: false,
      message: 'No file uploaded yet',
    });

    const notSqlite = await upload(id, 'a,b\n1,2\n');
    expect(notSqlite.status).toBe(400);
    expect(notSqlite.body.code).toBe('UNSUPPORTED_FILE_TYPE');
    expect(filesUnder(storage).filter((f) => f.includes(id))).toEqual([]);

    const res = await upload(id, readFileSync(dbFile), undefined, 'application/octet-stream');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('active');
    expect(Object.keys(res.body.config)).toEqual(['storageKey']);
    const probe = await t.http.post(`/api/v1/connectors/${id}/test`, undefined, { token });
    expect(probe.body).toMatchObject({ success: true, details: { tables: 1 } });
    // The server's file location cannot be swapped for a path of the client's choosing.
    const moved = await t.http.put(
      `/api/v1/connectors/${id}`,
      { config: { storageKey: 'ten_x/conn_y/other.sqlite' } },
      { token },
    );
    expect(moved.body.config.storageKey).toBe(res.body.config.storageKey);
  });

  it('refuses a viewer upload', async () => {
    const id = await createFileConnector('Viewer blocked');
    const viewer = (await inviteUser(t, token, 'viewer', { email: 'view@acme.test', password: 'viewer-passphrase' }))
      .token;
    const res = await t.http.request('POST', `/api/v1/connectors/${id}/upload`, {
      token: viewer,
      rawBody: 'a\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.status).toBe(403);
  });
});
