import { SafeNetwork, SafeNetworkError } from '@sluice/core';
import { text } from 'node:stream/consumers';
import { contextFor } from '../../../../../test/helpers/connector-testing';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { FakeGcs } from '../../../../../test/helpers/fake-gcs';
import { LocalS3, S3RVER_KEY, uniqueName } from '../../../../../test/helpers/object-stores';
import { testEnv } from '../../../../../test/helpers/test-env';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type { DiscoveredItem } from '../../plugin/connector-plugin';
import { GcsConnector, type GcsConfig } from './gcs.connector';

const connector = new GcsConnector(testEnv({ CONNECTOR_PROBE_TIMEOUT_MS: '3000' }));
const gcs = new FakeGcs();
const bucket = uniqueName('sluice-gcs');
const empty = uniqueName('sluice-empty');
const denied = uniqueName('sluice-denied');

const auth = () => ({ serviceAccountJson: gcs.serviceAccountJson() });
const configFor = (config: Record<string, unknown> = {}, credentials: Record<string, unknown> = auth()) =>
  connector.parseConfig({ gcsUrl: `gs://${bucket}/data`, apiEndpoint: gcs.url, ...config }, credentials);
const ctx = (config: Record<string, unknown> = {}, credentials?: Record<string, unknown>, net?: SafeNetwork) =>
  contextFor<GcsConfig>(configFor(config, credentials), { net });

async function discoverAll(context = ctx()): Promise<DiscoveredItem[]> {
  const items: DiscoveredItem[] = [];
  for await (const batch of connector.discover(context)) items.push(...batch);
  return items;
}

beforeAll(async () => {
  await gcs.start();
  for (const name of [bucket, empty, denied]) gcs.createBucket(name);
  gcs.denied.add(denied);
  gcs.put(bucket, 'data/report.csv', 'id,name\n1,Ada\n2,Grace\n', 'text/csv');
  gcs.put(bucket, 'data/nested/notes.txt', 'hello object storage', 'text/plain');
  gcs.put(bucket, 'outside.txt', 'not under the prefix');
});
afterAll(() => gcs.stop());

describeConnectorContract('gcs', () => connector, {
  valid: () => ctx(),
  probe: { bucket, objects: 2 },
  failing: () => ctx({ gcsUrl: 'gs://no-such-bucket' }),
  failure: /^No such bucket "no-such-bucket" at 127\.0\.0\.1:\d+ \(notFound, HTTP 404\)$/,
  refusal: {
    context: { context: () => ctx({}, undefined, new SafeNetwork(undefined)), error: { type: SafeNetworkError } },
  },
  discovered: ['report.csv', 'nested/notes.txt'],
  read: { item: { externalId: 'nested/notes.txt' }, content: 'hello object storage' },
});

describe('GcsConnector against a local JSON API server', () => {
  it('accepts gcsUrl, the seed spelling gcs_url, and bucket with project', () => {
    const expected = { name: bucket, prefix: 'data/' };
    expect(configFor()).toMatchObject(expected);
    expect(configFor({ gcsUrl: undefined, gcs_url: `gs://${bucket}/data` })).toMatchObject(expected);
    expect(configFor({ gcsUrl: undefined, bucket, project: 'acme', prefix: 'data' })).toMatchObject({
      ...expected,
      project: 'acme',
    });
  });

  it('probes: bucket get, then one page of the listing', async () => {
    gcs.requests.length = 0;
    expect(await connector.test(ctx())).toEqual({
      success: true,
      message: `Bucket "${bucket}" is reachable: 2 objects under the prefix "data/"`,
      details: { bucket, objects: 2 },
    });
    expect(gcs.requests).toEqual(
      expect.arrayContaining([`GET /storage/v1/b/${bucket}`, `GET /storage/v1/b/${bucket}/o`]),
    );
  });

  it('succeeds with a warning when the bucket is reachable but empty under the prefix', async () => {
    expect(await connector.test(ctx({ gcsUrl: `gs://${bucket}/nothing-here` }))).toMatchObject({
      success: true,
      warning: `Bucket "${bucket}" is reachable but holds no objects under the prefix "nothing-here/" yet`,
    });
    expect(await connector.test(ctx({ gcsUrl: `gs://${empty}` }))).toMatchObject({
      success: true,
      warning: `Bucket "${empty}" is reachable but holds no objects yet`,
    });
  });

  it('names wrong credentials (a key the token endpoint refuses), access denied, a missing bucket, a dead endpoint', async () => {
    const stranger = gcs.strangerJson();
    const wrong = await connector.test(ctx({}, { serviceAccountJson: stranger }));
    expect(wrong).toMatchObject({
      success: false,
      message: `Bad credentials for bucket "${bucket}": the store rejected the key or signature (token invalid_grant, HTTP 400)`,
    });
    expect(JSON.stringify(wrong)).not.toContain('PRIVATE KEY');
    expect((await connector.test(ctx({ gcsUrl: `gs://${denied}` }))).message).toMatch(/^Access denied to bucket/);
    expect((await connector.test(ctx({ gcsUrl: 'gs://missing-bucket' }))).message).toMatch(/^No such bucket/);
    const down = await connector.test(ctx({ apiEndpoint: 'http://127.0.0.1:1' }));
    expect(down).toMatchObject({ success: false, message: 'Could not reach the endpoint 127.0.0.1:1 (ECONNREFUSED)' });
  });

  it('discovers one document per object with size, generation, content type and time', async () => {
    const items = await discoverAll();
    expect(items.map((item) => item.externalId).sort()).toEqual(['nested/notes.txt', 'report.csv']);
    const report = items.find((item) => item.externalId === 'report.csv')!;
    expect(report).toMatchObject({
      name: 'report.csv',
      mimeType: 'text/csv',
      size: 22,
      checksum: expect.stringMatching(/^\d+$/),
      modifiedAt: expect.any(Date),
    });
    expect((await discoverAll()).find((item) => item.externalId === 'report.csv')!.checksum).toBe(report.checksum);
    gcs.put(bucket, 'data/report.csv', 'id,name\n1,Ada\n2,Grace\n', 'text/csv');
    expect((await discoverAll()).find((item) => item.externalId === 'report.csv')!.checksum).not.toBe(report.checksum);
  });

  it('pages through a listing larger than one page', async () => {
    const many = uniqueName('sluice-many');
    gcs.createBucket(many);
    for (let i = 0; i < 1_203; i++) gcs.put(many, `f${String(i).padStart(4, '0')}.txt`, 'x');
    const batches: number[] = [];
    for await (const batch of connector.discover(ctx({ gcsUrl: `gs://${many}` }))) batches.push(batch.length);
    expect(batches).toEqual([500, 500, 203]);
  });

  it('reads inclusive ranges, an open-ended one, and one past the end', async () => {
    const context = ctx();
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 8, end: 12 }))).toBe(
      '1,Ada',
    );
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 14 }))).toBe('2,Grace\n');
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 500, end: 600 }))).toBe('');
  });

  it('refuses paths outside the prefix, names a missing object and bucket', async () => {
    await expect(connector.read(ctx(), { externalId: '../outside.txt' })).rejects.toMatchObject({
      code: 'PATH_OUTSIDE_PREFIX',
    });
    await expect(connector.read(ctx(), { externalId: 'gone.txt' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const error = await discoverAll(ctx({ gcsUrl: 'gs://missing-bucket' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error).toMatchObject({ code: 'BUCKET_NOT_FOUND' });
    expect(await connector.lookup(ctx(), 'gone.txt')).toBeNull();
    expect(await connector.lookup(ctx(), 'report.csv')).toMatchObject({ size: 22, mimeType: 'text/csv' });
  });

  it('names the field to fix', () => {
    const fieldOf = (config: Record<string, unknown>, credentials: Record<string, unknown> = auth()) => {
      try {
        connector.parseConfig({ apiEndpoint: gcs.url, ...config }, credentials);
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectorConfigError);
        return ((error as ConnectorConfigError).details ?? []).map((d) => (d as { field: string }).field).join(',');
      }
      return 'accepted';
    };
    expect(fieldOf({ gcs_url: 's3://x/y' })).toBe('config.gcs_url');
    expect(fieldOf({ bucket })).toBe('config.project');
    expect(fieldOf({})).toBe('config.bucket');
    expect(fieldOf({ gcsUrl: `gs://${bucket}` }, { serviceAccountJson: '{not json' })).toBe(
      'authConfig.serviceAccountJson',
    );
    expect(fieldOf({ gcsUrl: `gs://${bucket}` }, {})).toBe('authConfig');
    expect(fieldOf({ gcsUrl: `gs://${bucket}` }, { hmacAccessId: 'GOOG1' })).toBe('authConfig.hmacSecret');
  });
});

describe('GcsConnector with HMAC keys (the S3-compatible XML API, here s3rver)', () => {
  const xml = new LocalS3();
  const hmacBucket = uniqueName('sluice-hmac');
  const hmac = (config: Record<string, unknown> = {}, keys: Record<string, unknown> = {}) =>
    contextFor<GcsConfig>(
      connector.parseConfig(
        { gcsUrl: `gs://${hmacBucket}/data`, apiEndpoint: xml.endpoint, ...config },
        { hmacAccessId: S3RVER_KEY.accessKeyId, hmacSecret: S3RVER_KEY.secretAccessKey, ...keys },
      ),
    );

  beforeAll(async () => {
    await xml.start([hmacBucket]);
    await xml.put(hmacBucket, 'data/a.txt', 'hmac content');
  }, 30_000);
  afterAll(() => xml.stop());

  it('probes, discovers and reads', async () => {
    expect(await connector.test(hmac())).toMatchObject({ success: true, details: { objects: 1 } });
    const items: DiscoveredItem[] = [];
    for await (const batch of connector.discover(hmac())) items.push(...batch);
    expect(items).toEqual([expect.objectContaining({ externalId: 'a.txt', size: 12, checksum: expect.any(String) })]);
    expect(await text(await connector.read(hmac(), { externalId: 'a.txt' }, { start: 0, end: 3 }))).toBe('hmac');
  });

  it('names an unknown HMAC key', async () => {
    expect((await connector.test(hmac({}, { hmacAccessId: 'GOOG1NOPE' }))).message).toMatch(
      /^Bad credentials for bucket/,
    );
  });
});
