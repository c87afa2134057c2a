import { ContainerSASPermissions } from '@azure/storage-blob';
import { SafeNetwork, SafeNetworkError } from '@sluice/core';
import { text } from 'node:stream/consumers';
import { contextFor } from '../../../../../test/helpers/connector-testing';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { AZURITE_ACCOUNT, LocalAzurite, uniqueName } from '../../../../../test/helpers/object-stores';
import { testEnv } from '../../../../../test/helpers/test-env';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type { DiscoveredItem } from '../../plugin/connector-plugin';
import { AzureBlobConnector, type AzureBlobConfig } from './azure-blob.connector';

const connector = new AzureBlobConnector(testEnv({ CONNECTOR_PROBE_TIMEOUT_MS: '3000' }));
const container = uniqueName('sluice-az');
const empty = uniqueName('sluice-empty');
const azurite = new LocalAzurite();
const KEY = { accountKey: AZURITE_ACCOUNT.key };

const configFor = (config: Record<string, unknown> = {}, auth: Record<string, unknown> = KEY) =>
  connector.parseConfig(
    { container, storageAccount: AZURITE_ACCOUNT.name, endpoint: azurite.endpoint, prefix: 'data', ...config },
    auth,
  );
const ctx = (config: Record<string, unknown> = {}, auth?: Record<string, unknown>, net?: SafeNetwork) =>
  contextFor<AzureBlobConfig>(configFor(config, auth), { net });

async function discoverAll(context = ctx()): Promise<DiscoveredItem[]> {
  const items: DiscoveredItem[] = [];
  for await (const batch of connector.discover(context)) items.push(...batch);
  return items;
}

async function put(name: string, body: string, contentType?: string): Promise<void> {
  await azurite
    .service()
    .getContainerClient(container)
    .getBlockBlobClient(name)
    .upload(body, Buffer.byteLength(body), contentType ? { blobHTTPHeaders: { blobContentType: contentType } } : {});
}

beforeAll(async () => {
  await azurite.start();
  await azurite.service().getContainerClient(container).create();
  await azurite.service().getContainerClient(empty).create();
  await put('data/report.csv', 'id,name\n1,Ada\n2,Grace\n', 'text/csv');
  await put('data/nested/notes.txt', 'hello object storage');
  await put('outside.txt', 'not under the prefix');
}, 60_000);
afterAll(() => azurite.stop());

describeConnectorContract('azure_blob', () => connector, {
  valid: () => ctx(),
  probe: { container, objects: 2 },
  failing: () => ctx({ container: 'no-such-container' }),
  failure: /^No such container "no-such-container" at 127\.0\.0\.1:\d+ \(ContainerNotFound, HTTP 404\)$/,
  refusal: {
    context: { context: () => ctx({}, undefined, new SafeNetwork(undefined)), error: { type: SafeNetworkError } },
  },
  discovered: ['report.csv', 'nested/notes.txt'],
  read: { item: { externalId: 'nested/notes.txt' }, content: 'hello object storage' },
});

describe('AzureBlobConnector against Azurite', () => {
  it('probes with an account key, a connection string and a SAS token', async () => {
    const sas = (
      await azurite
        .service()
        .getContainerClient(container)
        .generateSasUrl({
          permissions: ContainerSASPermissions.parse('rl'),
          expiresOn: new Date(Date.now() + 3600_000),
        })
    ).split('?')[1];
    const expected = {
      success: true,
      message: `Container "${container}" is reachable: 2 objects under the prefix "data/"`,
    };
    expect(await connector.test(ctx())).toMatchObject(expected);
    expect(
      await connector.test(ctx({ endpoint: undefined }, { connectionString: azurite.connectionString() })),
    ).toMatchObject(expected);
    expect(await connector.test(ctx({}, { sasToken: sas }))).toMatchObject(expected);
    expect(await text(await connector.read(ctx({}, { sasToken: sas }), { externalId: 'report.csv' }))).toBe(
      'id,name\n1,Ada\n2,Grace\n',
    );
  });

  it('succeeds with a warning when the container is reachable but empty under the prefix', async () => {
    expect(await connector.test(ctx({ prefix: 'nothing-here' }))).toMatchObject({
      success: true,
      warning: `Container "${container}" is reachable but holds no objects under the prefix "nothing-here/" yet`,
    });
    expect(await connector.test(ctx({ container: empty, prefix: '' }))).toMatchObject({
      success: true,
      warning: `Container "${empty}" is reachable but holds no objects yet`,
    });
  });

  it('names wrong credentials without repeating them', async () => {
    const wrong = Buffer.from('not-the-real-key-not-the-real-key').toString('base64');
    const outcome = await connector.test(ctx({}, { accountKey: wrong }));
    expect(outcome).toMatchObject({ success: false, message: expect.stringMatching(/^Bad credentials for container/) });
    expect(JSON.stringify(outcome)).not.toContain(wrong);
  });

  it('names access denied: a SAS token that may read but not list', async () => {
    const sas = (
      await azurite
        .service()
        .getContainerClient(container)
        .generateSasUrl({ permissions: ContainerSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3600_000) })
    ).split('?')[1];
    const outcome = await connector.test(ctx({}, { sasToken: sas }));
    expect(outcome).toMatchObject({ success: false, message: expect.stringMatching(/^Access denied to container/) });
  });

  it('names a missing container and an unreachable endpoint', async () => {
    expect((await connector.test(ctx({ container: 'missing-one' }))).message).toMatch(
      /^No such container "missing-one"/,
    );
    const down = await connector.test(ctx({ endpoint: 'http://127.0.0.1:1/devstoreaccount1' }));
    expect(down).toMatchObject({ success: false, message: 'Could not reach the endpoint 127.0.0.1:1 (ECONNREFUSED)' });
  });

  it('discovers one document per blob with size, ETag, content type and time; ETag changes with the bytes', async () => {
    const items = await discoverAll();
    expect(items.map((item) => item.externalId).sort()).toEqual(['nested/notes.txt', 'report.csv']);
    const report = items.find((item) => item.externalId === 'report.csv')!;
    expect(report).toMatchObject({
      kind: 'file',
      name: 'report.csv',
      mimeType: 'text/csv',
      size: 22,
      checksum: expect.any(String),
      modifiedAt: expect.any(Date),
      metadata: { key: 'data/report.csv' },
    });
    expect((await discoverAll()).find((item) => item.externalId === 'report.csv')!.checksum).toBe(report.checksum);
    await put('data/report.csv', 'id,name\n1,Ada\n2,Grace\n3,Linus\n', 'text/csv');
    const after = (await discoverAll()).find((item) => item.externalId === 'report.csv')!;
    expect(after.checksum).not.toBe(report.checksum);
    expect(after.size).toBe(30);
    await put('data/report.csv', 'id,name\n1,Ada\n2,Grace\n', 'text/csv');
  });

  it('reads inclusive ranges, an open-ended one, and one past the end', async () => {
    const context = ctx();
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 8, end: 12 }))).toBe(
      '1,Ada',
    );
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 14 }))).toBe('2,Grace\n');
    expect(await text(await connector.read(context, { externalId: 'report.csv' }, { start: 500, end: 600 }))).toBe('');
  });

  it('refuses paths outside the prefix and names a missing blob and container', async () => {
    for (const externalId of ['../outside.txt', '/outside.txt', 'a/../../x']) {
      await expect(connector.read(ctx(), { externalId })).rejects.toMatchObject({ code: 'PATH_OUTSIDE_PREFIX' });
    }
    await expect(connector.read(ctx(), { externalId: 'gone.txt' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const error = await discoverAll(ctx({ container: 'missing-one' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorRequestError);
    expect(error).toMatchObject({ code: 'CONTAINER_NOT_FOUND' });
    expect(await connector.lookup(ctx(), 'gone.txt')).toBeNull();
    expect(await connector.lookup(ctx(), 'report.csv')).toMatchObject({ size: 22 });
  });

  it('connects through the guard: a name only the guard can resolve works', async () => {
    const port = new URL(azurite.endpoint).port;
    // Azurite reads the account from the host name when it is not an address.
    const endpoint = `http://${AZURITE_ACCOUNT.name}.blob.sluice.test:${port}`;
    const guarded = new SafeNetwork(`127.0.0.1,${AZURITE_ACCOUNT.name}.blob.sluice.test`, async () => [
      { address: '127.0.0.1', family: 4 },
    ]);
    expect(await connector.test(ctx({ endpoint }, undefined, guarded))).toMatchObject({ success: true });
  });

  it('asks for exactly one credential and names the field', () => {
    const fieldOf = (auth: Record<string, unknown>, config: Record<string, unknown> = {}) => {
      try {
        configFor(config, auth);
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectorConfigError);
        return ((error as ConnectorConfigError).details ?? []).map((d) => (d as { field: string }).field).join(',');
      }
      return 'accepted';
    };
    expect(fieldOf({})).toBe('authConfig');
    expect(fieldOf({ accountKey: 'a', sasToken: 'b' })).toBe('authConfig');
    expect(fieldOf({ connectionString: 'AccountName=other;AccountKey=x' })).toBe('authConfig.connectionString');
    expect(fieldOf(KEY, { container: 'Bad_Name' })).toBe('config.container');
    expect(fieldOf(KEY, { storageAccount: 'UPPER' })).toBe('config.storageAccount');
  });
});
