import { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { FakeGcs } from './helpers/fake-gcs';
import { AZURITE_ACCOUNT, LocalAzurite, LocalS3, uniqueName } from './helpers/object-stores';
import { waitForRun } from './helpers/runs';
import { startTestApp, TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';
import { HttpResponse } from './helpers/http-client';
import { scaled } from './helpers/eventually';

const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const REPORT = 'id,name\n1,Ada\n2,Grace\n';

jest.setTimeout(scaled(120_000));

/** How each object store is set up, filled, emptied of one object, and named to the API. */
interface StoreCase {
  type: string;
  create: () => { config: Record<string, unknown>; authConfig: Record<string, unknown> };
  put: (key: string, body: string, contentType: string) => Promise<void>;
  remove: (key: string) => Promise<void>;
  /** Text that must never leave the server: the secret, or a distinctive part of it. */
  secrets: () => string[];
}

describe('object-storage connectors over HTTP: aws_s3, gcs, azure_blob (e2e)', () => {
  const s3 = new LocalS3();
  const azurite = new LocalAzurite();
  const gcs = new FakeGcs();
  const s3Bucket = uniqueName('sluice-e2e');
  const gcsBucket = uniqueName('sluice-e2e');
  const azContainer = uniqueName('sluice-e2e');
  // s3rver checks the access key id but not SigV4 signatures: any secret is accepted, so a
  // distinctive one can be traced through responses and logs.
  const s3Secret = `s3-secret-${randomBytes(12).toString('hex')}`;
  let t: TestApp;
  let worker: INestApplicationContext;
  let token: string;
  /** Every response body the API gave in this suite, searched for secrets at the end. */
  const bodies: string[] = [];

  const record = <T>(res: HttpResponse<T>): HttpResponse<T> => {
    bodies.push(typeof res.body === 'string' ? res.body : JSON.stringify(res.body));
    return res;
  };
  const get = async (path: string) => record(await t.http.get(path, { token }));
  const post = async (path: string, body?: unknown) => record(await t.http.post(path, body, { token }));

  const cases: StoreCase[] = [
    {
      type: 'aws_s3',
      create: () => ({
        config: { bucket: s3Bucket, region: 'us-east-1', prefix: 'data', endpoint: s3.endpoint, forcePathStyle: true },
        authConfig: { accessKeyId: 'S3RVER', secretAccessKey: s3Secret },
      }),
      put: (key, body, contentType) => s3.put(s3Bucket, key, body, contentType),
      remove: (key) => s3.remove(s3Bucket, key),
      secrets: () => [s3Secret],
    },
    {
      type: 'gcs',
      create: () => ({
        config: { gcs_url: `gs://${gcsBucket}/data`, apiEndpoint: gcs.url },
        authConfig: { serviceAccountJson: gcs.serviceAccountJson() },
      }),
      put: async (key, body, contentType) => gcs.put(gcsBucket, key, body, contentType),
      remove: async (key) => gcs.remove(gcsBucket, key),
      // A line from the middle of the PEM body: unique to this key.
      secrets: () => [(JSON.parse(gcs.serviceAccountJson()) as { private_key: string }).private_key.split('\n')[5]],
    },
    {
      type: 'azure_blob',
      create: () => ({
        config: { container: azContainer, storageAccount: AZURITE_ACCOUNT.name, prefix: 'data' },
        authConfig: { connectionString: azurite.connectionString() },
      }),
      put: async (key, body, contentType) => {
        await azurite
          .service()
          .getContainerClient(azContainer)
          .getBlockBlobClient(key)
          .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: contentType } });
      },
      remove: async (key) => {
        await azurite.service().getContainerClient(azContainer).deleteBlob(key);
      },
      secrets: () => [AZURITE_ACCOUNT.key],
    },
  ];

  beforeAll(async () => {
    await Promise.all([s3.start([s3Bucket]), azurite.start(), gcs.start()]);
    gcs.createBucket(gcsBucket);
    await azurite.service().getContainerClient(azContainer).create();
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1' }, { captureLogs: true });
    worker = await startTestWorker(t.env, t.logger);
    token = await t.http.login(ADMIN.email, ADMIN.password);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await Promise.all([s3.stop(), azurite.stop(), gcs.stop()]);
  });

  async function sync(id: string): Promise<Record<string, any>> {
    const started = await post(`/api/v1/connectors/${id}/sync`);
    expect(started.status).toBe(202);
    const run = record({ status: 200, body: await waitForRun(t.http, token, id, started.body.id) } as HttpResponse);
    return run.body as Record<string, any>;
  }

  describe.each(cases.map((c) => [c.type, c] as const))('%s', (type, store) => {
    let id: string;

    it('is created, and its test warns while the bucket is empty under the prefix', async () => {
      const { config, authConfig } = store.create();
      const created = await post('/api/v1/connectors', { name: `Store ${type}`, type, config, authConfig });
      expect(created.status).toBe(201);
      id = created.body.id;
      const tested = await post(`/api/v1/connectors/${id}/test`);
      expect(tested.status).toBe(200);
      expect(tested.body).toMatchObject({
        success: true,
        warning: expect.stringMatching(/reachable but holds no objects/),
      });
    });

    it('syncs one document per object, reads content by ?path=, skips unchanged objects', async () => {
      await store.put('data/report.csv', REPORT, 'text/csv');
      await store.put('data/nested/notes.txt', 'hello object storage', 'text/plain');
      const tested = await post(`/api/v1/connectors/${id}/test`);
      expect(tested.body).toMatchObject({
        success: true,
        message: expect.stringMatching(/: 2 objects under the prefix "data\/"/),
      });
      expect(tested.body.warning ?? null).toBeNull();

      const first = await sync(id);
      expect(first).toMatchObject({ status: 'succeeded', progress: { created: 2 } });
      const docs = await get(`/api/v1/connectors/${id}/documents?limit=100`);
      expect(docs.body.data.map((doc: { name: string }) => doc.name).sort()).toEqual(['notes.txt', 'report.csv']);

      const content = await get(`/api/v1/connectors/${id}/content?path=report.csv&offset=1&limit=1`);
      expect(content.status).toBe(200);
      expect(content.body).toMatchObject({ connectorId: id, content: '1,Ada' });
      const bytes = await get(`/api/v1/connectors/${id}/content?path=nested/notes.txt&bytesStart=6&bytesEnd=11`);
      expect(bytes.body).toMatchObject({ content: 'object' });
      const outside = await get(`/api/v1/connectors/${id}/content?path=../secret.txt`);
      expect(outside.status).toBe(422);
      expect(outside.body.code).toBe('PATH_OUTSIDE_PREFIX');
      const missing = await get(`/api/v1/connectors/${id}/content?path=gone.txt`);
      expect(missing.body.code).toBe('FILE_NOT_FOUND');

      const again = await sync(id);
      expect(again).toMatchObject({ status: 'succeeded', progress: { unchanged: 2, created: 0, updated: 0 } });
    });

    it('prunes an object deleted at the source on the next sync', async () => {
      await store.remove('data/nested/notes.txt');
      const run = await sync(id);
      expect(run).toMatchObject({ status: 'succeeded', progress: { deleted: 1, unchanged: 1 } });
      const deleted = await get(`/api/v1/connectors/${id}/documents?status=deleted`);
      expect(deleted.body.data.map((doc: { name: string }) => doc.name)).toEqual(['notes.txt']);
      const synced = await get(`/api/v1/connectors/${id}/documents?status=synced`);
      expect(synced.body.data.map((doc: { name: string }) => doc.name)).toEqual(['report.csv']);
    });

    it('deleting the connector removes what Sluice stored for it', async () => {
      const removed = await t.http.delete(`/api/v1/connectors/${id}`, { token });
      expect(removed.status).toBe(204);
      expect((await get(`/api/v1/connectors/${id}`)).status).toBe(404);
      expect((await get(`/api/v1/connectors/${id}/documents`)).status).toBe(404);
    });
  });

  it('refuses an endpoint on a private address that is not allow-listed', async () => {
    const created = await post('/api/v1/connectors', {
      name: 'Private S3',
      type: 'aws_s3',
      config: { bucket: 'internal', endpoint: 'http://10.1.2.3:9000', forcePathStyle: true },
      authConfig: { accessKeyId: 'S3RVER', secretAccessKey: s3Secret },
    });
    expect(created.status).toBe(201);
    const tested = await post(`/api/v1/connectors/${created.body.id}/test`);
    expect(JSON.stringify(tested.body)).toMatch(/Refused to connect to 10\.1\.2\.3 \(private network address\)/);
  });

  it('shows no secret in any response body or log line', () => {
    const responses = bodies.join('\n');
    const logs = t.logs.join('\n');
    expect(bodies.length).toBeGreaterThan(20);
    expect(t.logs.length).toBeGreaterThan(10);
    const found: string[] = [];
    for (const store of cases) {
      for (const secret of store.secrets()) {
        expect(secret.length).toBeGreaterThan(16);
        if (responses.includes(secret)) found.push(`${store.type} secret in a response`);
        if (logs.includes(secret)) found.push(`${store.type} secret in the logs`);
      }
    }
    expect(found).toEqual([]);
  });
});
