import { SafeNetwork, SafeNetworkError } from '@sluice/core';
import { text } from 'node:stream/consumers';
import { contextFor } from '../../../../../test/helpers/connector-testing';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { LocalS3, S3RVER_KEY, uniqueName } from '../../../../../test/helpers/object-stores';
import { testEnv } from '../../../../../test/helpers/test-env';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type { DiscoveredItem } from '../../plugin/connector-plugin';
import { AwsS3Connector, type AwsS3Config } from './aws-s3.connector';

const connector = new AwsS3Connector(testEnv({ CONNECTOR_PROBE_TIMEOUT_MS: '3000' }));
const bucket = uniqueName('sluice-s3');
const empty = uniqueName('sluice-empty');
const s3 = new LocalS3();

const configFor = (config: Record<string, unknown> = {}, auth: Record<string, unknown> = S3RVER_KEY) =>
  connector.parseConfig(
    { bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, prefix: 'data', ...config },
    auth,
  );
const ctx = (config: Record<string, unknown> = {}, auth?: Record<string, unknown>, net?: SafeNetwork) =>
  contextFor<AwsS3Config>(configFor(config, auth), { net });

async function discoverAll(context = ctx()): Promise<DiscoveredItem[]> {
  const items: DiscoveredItem[] = [];
  for await (const batch of connector.discover(context)) items.push(...batch);
  return items;
}

beforeAll(async () => {
  await s3.start([bucket, empty]);
  await s3.put(bucket, 'data/report.csv', 'id,name\n1,Ada\n2,Grace\n', 'text/csv');
  await s3.put(bucket, 'data/nested/notes.txt', 'hello object storage');
  await s3.put(bucket, 'data/folder/', '');
  await s3.put(bucket, 'outside.txt', 'not under the prefix');
}, 30_000);
afterAll(() => s3.stop());

describeConnectorContract('aws_s3', () => connector, {
  valid: () => ctx(),
  probe: { bucket, objects: 2 },
  failing: () => ctx({ bucket: 'no-such-bucket' }),
  failure: /^No such bucket "no-such-bucket" at 127\.0\.0\.1:\d+ \(NoSuchBucket/,
  refusal: {
    // The endpoint is on loopback, which this guard does not allow: refused before any socket.
    context: { context: () => ctx({}, undefined, new SafeNetwork(undefined)), error: { type: SafeNetworkError } },
  },
  discovered: ['report.csv', 'nested/notes.txt'],
  read: { item: { externalId: 'nested/notes.txt' }, content: 'hello object storage' },
});

describe('AwsS3Connector against s3rver', () => {
  it('probes successfully, counting the objects under the prefix', async () => {
    expect(await connector.test(ctx())).toEqual({
      success: true,
      message: `Bucket "${bucket}" is reachable: 2 objects under the prefix "data/"`,
      details: { bucket, objects: 2 },
    });
  });

  it('succeeds with a warning when the bucket is reachable but empty under the prefix', async () => {
    for (const context of [ctx({ prefix: 'nothing-here/' }), ctx({ bucket: empty, prefix: '' })]) {
      const outcome = await connector.test(context);
      expect(outcome).toMatchObject({
        success: true,
        warning: expect.stringMatching(/reachable but holds no objects/),
      });
    }
    expect((await connector.test(ctx({ prefix: 'nothing-here' }))).warning).toBe(
      `Bucket "${bucket}" is reachable but holds no objects under the prefix "nothing-here/" yet`,
    );
  });

  it('names wrong credentials (an access key the store does not know)', async () => {
    // s3rver checks that the key exists but not SigV4 signatures, so a wrong secret cannot be
    // shown here; SignatureDoesNotMatch is classified alike (s3-store.spec.ts).
    const unknown = await connector.test(ctx({}, { accessKeyId: 'NOPE', secretAccessKey: 'wrong-secret-value' }));
    expect(unknown).toMatchObject({ success: false, message: expect.stringMatching(/^Bad credentials for bucket/) });
    expect(unknown.message).toContain('InvalidAccessKeyId');
    expect(JSON.stringify(unknown)).not.toContain('wrong-secret-value');
  });

  it('names a missing bucket and an unreachable endpoint', async () => {
    expect((await connector.test(ctx({ bucket: 'missing-bucket' }))).message).toMatch(
      /^No such bucket "missing-bucket"/,
    );
    const down = await connector.test(ctx({ endpoint: 'http://127.0.0.1:1' }));
    expect(down).toMatchObject({ success: false, message: 'Could not reach the endpoint 127.0.0.1:1 (ECONNREFUSED)' });
  });

  it('discovers one document per object under the prefix, with size, ETag, content type and time', async () => {
    const items = await discoverAll();
    expect(items.map((item) => item.externalId).sort()).toEqual(['nested/notes.txt', 'report.csv']);
    const report = items.find((item) => item.externalId === 'report.csv')!;
    expect(report).toMatchObject({
      kind: 'file',
      name: 'report.csv',
      path: 'report.csv',
      mimeType: 'text/csv',
      size: 22,
      checksum: expect.stringMatching(/^[0-9a-f]{32}$/),
      modifiedAt: expect.any(Date),
      metadata: { key: 'data/report.csv' },
    });
  });

  it('keeps the checksum of an unchanged object and changes it when the bytes change', async () => {
    const before = (await discoverAll()).find((item) => item.externalId === 'report.csv')!.checksum;
    expect((await discoverAll()).find((item) => item.externalId === 'report.csv')!.checksum).toBe(before);
    await s3.put(bucket, 'data/report.csv', 'id,name\n1,Ada\n2,Grace\n3,Linus\n', 'text/csv');
    const after = (await discoverAll()).find((item) => item.externalId === 'report.csv')!;
    expect(after.checksum).not.toBe(before);
    expect(after.size).toBe(30);
    await s3.put(bucket, 'data/report.csv', 'id,name\n1,Ada\n2,Grace\n', 'text/csv');
  });

  it('stops at maxObjects', async () => {
    expect(await discoverAll(ctx({ maxObjects: 1 }))).toHaveLength(1);
  });

  it('reads inclusive ranges, an open-ended one, and one past the end', async () => {
    const context = ctx();
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 8, end: 12 }))).toBe(
      '1,Ada',
    );
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 14 }))).toBe('2,Grace\n');
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 500, end: 600 }))).toBe('');
  });

  it('refuses paths outside the prefix, names a missing object, and refuses bad ranges', async () => {
    for (const externalId of ['../outside.txt', '/outside.txt', 'a/./b', '']) {
      await expect(connector.read(ctx(), { externalId })).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PREFIX' });
    }
    await expect(connector.read(ctx(), { externalId: 'gone.txt' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(connector.read(ctx(), { externalId: 'report.csv' }, { start: 5, end: 1 })).rejects.toMatchObject({
      code: 'INVALID_RANGE',
    });
  });

  it('fails discovery of a missing bucket with BUCKET_NOT_FOUND', async () => {
    const error = await discoverAll(ctx({ bucket: 'missing-bucket' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error).toMatchObject({ code: 'BUCKET_NOT_FOUND' });
  });

  it('looks one object up again, and answers null for a missing one', async () => {
    expect(await connector.lookup(ctx(), 'report.csv')).toMatchObject({ externalId: 'report.csv', size: 22 });
    expect(await connector.lookup(ctx(), 'gone.txt')).toBeNull();
  });

  it('connects through the guard: a name only the guard can resolve works', async () => {
    const port = new URL(s3.endpoint).port;
    const net = new SafeNetwork('127.0.0.1,s3.sluice.test', async () => [{ address: '127.0.0.1', family: 4 }]);
    const outcome = await connector.test(ctx({ endpoint: `http://s3.sluice.test:${port}` }, undefined, net));
    expect(outcome).toMatchObject({ success: true, details: { objects: 2 } });
  });

  describe('parseConfig', () => {
    const fieldOf = (work: () => unknown): string => {
      try {
        work();
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectorConfigError);
        return ((error as ConnectorConfigError).details ?? []).map((d) => (d as { field: string }).field).join(',');
      }
      throw new Error('expected a ConnectorConfigError');
    };

    it('normalises the prefix and defaults the region', () => {
      const parsed = connector.parseConfig({ bucket: 'my-bucket', prefix: '/a/b' }, S3RVER_KEY);
      expect(parsed).toMatchObject({ prefix: 'a/b/', region: 'us-east-1', forcePathStyle: false, maxObjects: 100_000 });
    });

    it('names the field to fix', () => {
      expect(fieldOf(() => connector.parseConfig({ bucket: 'A_B' }, S3RVER_KEY))).toBe('config.bucket');
      expect(fieldOf(() => connector.parseConfig({ bucket: 'ok-bucket', endpoint: 'ftp://x' }, S3RVER_KEY))).toBe(
        'config.endpoint',
      );
      expect(
        fieldOf(() => connector.parseConfig({ bucket: 'ok-bucket', endpoint: 'http://u:p@host' }, S3RVER_KEY)),
      ).toBe('config.endpoint');
      expect(fieldOf(() => connector.parseConfig({ bucket: 'ok-bucket', prefix: 'a/../b' }, S3RVER_KEY))).toBe(
        'config.prefix',
      );
      expect(fieldOf(() => connector.parseConfig({ bucket: 'ok-bucket' }, { accessKeyId: 'x' }))).toBe(
        'authConfig.secretAccessKey',
      );
    });
  });
});
