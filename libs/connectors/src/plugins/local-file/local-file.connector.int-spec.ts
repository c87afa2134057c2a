import type { LoggerService } from '@nestjs/common';
import { EnvDto } from '@sluice/core';
import type { SafeNetwork } from '@sluice/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { ContentReader } from '../../files/content-reader';
import { LocalFileStorage } from '../../files/file-storage';
import { UploadService } from '../../files/upload.service';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type { ConnectorContext, DiscoveredItem } from '../../plugin/connector-plugin';
import { CONNECTOR_PLUGIN } from '../../plugin/connector-plugin.decorator';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { LocalFileConnector, type LocalFileConfig } from './local-file.connector';

const logger: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };

function context(config: LocalFileConfig, connectorId: string | null = 'conn_a'): ConnectorContext<LocalFileConfig> {
  return {
    tenantId: 'ten_a',
    connectorId,
    config,
    signal: new AbortController().signal,
    net: {} as SafeNetwork,
    logger,
  };
}

async function collect(items: AsyncIterable<DiscoveredItem[]>): Promise<DiscoveredItem[]> {
  const all: DiscoveredItem[] = [];
  for await (const batch of items) all.push(...batch);
  return all;
}

describe('LocalFileConnector', () => {
  let root: string;
  let storage: LocalFileStorage;
  let uploads: UploadService;
  let connector: LocalFileConnector;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sluice-local-file-'));
    const env = Object.assign(new EnvDto(), { STORAGE_DIR: root, MAX_UPLOAD_BYTES: 1024 * 1024 });
    storage = new LocalFileStorage(env);
    uploads = new UploadService(env, storage);
    connector = new LocalFileConnector(storage, new ContentReader());
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('registers as the local_file type with upload among its capabilities', () => {
    expect(Reflect.getMetadata(CONNECTOR_PLUGIN, LocalFileConnector)).toMatchObject({
      type: 'local_file',
      category: 'files',
      displayName: 'Uploaded file',
      readiness: 'ready',
      capabilities: ['test', 'upload', 'read', 'discover'],
    });
  });

  it('says no file is uploaded yet before the upload, and discovers nothing', async () => {
    const ctx = context(connector.parseConfig({ fileName: 'customers.csv' }, {}));
    expect(await connector.test(ctx)).toEqual({ success: false, message: 'No file uploaded yet', details: {} });
    expect(await collect(connector.discover(ctx))).toEqual([]);
    await expect(connector.read(ctx, { externalId: 'customers.csv' })).rejects.toMatchObject({
      code: 'NO_FILE_UPLOADED',
    });
  });

  it('tests, discovers and reads the uploaded file', async () => {
    const stored = await uploads.store('ten_a', 'conn_a', Readable.from([Buffer.from('id,name\n1,Ada\n')]), {
      fileName: 'customers.csv',
    });
    const ctx = context(
      connector.parseConfig({ fileName: 'customers.csv', storageKey: stored.key, sha256: stored.sha256 }, {}),
    );

    expect(await connector.test(ctx)).toMatchObject({
      success: true,
      details: { fileName: 'customers.csv', size: 14 },
    });
    const items = await collect(connector.discover(ctx));
    expect(items).toEqual([
      expect.objectContaining({
        externalId: 'customers.csv',
        kind: 'file',
        name: 'customers.csv',
        mimeType: 'text/csv',
        size: 14,
        checksum: stored.sha256,
      }),
    ]);
    expect(await text(await connector.read(ctx, items[0]))).toBe('id,name\n1,Ada\n');
    expect(await text(await connector.read(ctx, items[0], { start: 8, end: 12 }))).toBe('1,Ada');
    await expect(connector.read(ctx, { externalId: 'other.csv' })).rejects.toBeInstanceOf(ConnectorRequestError);
  });

  it('names the file after the upload when the config has no fileName', async () => {
    const stored = await uploads.store('ten_a', 'conn_a', Readable.from([Buffer.from('x')]), { fileName: 'notes.txt' });
    const items = await collect(connector.discover(context({ storageKey: stored.key })));
    expect(items[0]).toMatchObject({ externalId: 'notes.txt', mimeType: 'text/plain' });
    expect(items[0].checksum).toMatch(/^\d+(\.\d+)?-1$/);
  });

  it('reports a stored file that has gone missing', async () => {
    const stored = await uploads.store('ten_a', 'conn_a', Readable.from([Buffer.from('x')]), { fileName: 'a.txt' });
    await uploads.discard(stored.key);
    const ctx = context({ storageKey: stored.key });
    expect(await connector.test(ctx)).toMatchObject({ success: false, message: expect.stringMatching(/missing/) });
    await expect(connector.read(ctx, { externalId: 'a.txt' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });

  it("never reaches another tenant's or connector's file through a crafted storageKey", async () => {
    const foreign = await uploads.store('ten_b', 'conn_b', Readable.from([Buffer.from('secret')]), {
      fileName: 's.txt',
    });
    const ctx = context({ storageKey: foreign.key, fileName: 's.txt' });
    expect(await connector.test(ctx)).toMatchObject({ success: false });
    await expect(collect(connector.discover(ctx))).rejects.toMatchObject({ code: 'FOREIGN_STORAGE_KEY' });
    await expect(connector.read(ctx, { externalId: 's.txt' })).rejects.toMatchObject({ code: 'FOREIGN_STORAGE_KEY' });
    expect(await connector.test(context({ storageKey: foreign.key }, null))).toMatchObject({ success: false });
  });

  it('refuses a config with an unknown encoding or an invalid key, naming the field', () => {
    expect(() => connector.parseConfig({ encoding: 'klingon-8' }, {})).toThrow(ConnectorConfigError);
    expect(() => connector.parseConfig({ storageKey: '../../etc/passwd' }, {})).toThrow(
      expect.objectContaining({ details: [{ field: 'config.storageKey', messages: ['is not a valid storage key'] }] }),
    );
    expect(connector.parseConfig({ encoding: 'latin1', contentType: 'text/csv' }, {})).toEqual({
      encoding: 'latin1',
      contentType: 'text/csv',
    });
  });

  it('records an upload in its config, keeping a declared name', () => {
    const file = {
      key: 'ten_a/conn_a/k-abcdefgh-up.csv',
      fileName: 'up.csv',
      size: 3,
      sha256: 'a'.repeat(64),
      mimeType: 'text/csv',
    };
    expect(connector.upload({ encoding: 'utf-8' }, file)).toEqual({
      encoding: 'utf-8',
      fileName: 'up.csv',
      storageKey: file.key,
      sha256: file.sha256,
      mimeType: 'text/csv',
    });
    expect(connector.upload({ fileName: 'declared.csv' }, file)).toMatchObject({ fileName: 'declared.csv' });
  });

  it('serves content windows of the stored file once the connector is active', async () => {
    const stored = await uploads.store('ten_a', 'conn_a', Readable.from([Buffer.from('a\nb\nc\n')]), {
      fileName: 'abc.txt',
    });
    const saved = { id: 'conn_a', tenantId: 'ten_a', status: 'active', metadata: { file: stored } };
    expect(await connector.content(saved, { offset: 1, limit: 1 })).toMatchObject({
      content: 'b',
      chunkInfo: { mode: 'lines', offset: 1, limit: 1, totalLines: 3 },
    });
    await expect(connector.content({ ...saved, status: 'inactive' }, {})).rejects.toMatchObject({
      code: 'CONNECTOR_NOT_ACTIVE',
      message: 'Connector is not active (status: inactive)',
    });
    await expect(connector.content({ ...saved, metadata: {} }, {})).rejects.toMatchObject({
      code: 'CONNECTOR_NOT_ACTIVE',
      message: 'Connector is not active (status: pending_upload)',
    });
  });

  describe('with an uploaded file', () => {
    let key = '';
    beforeEach(async () => {
      const stored = await uploads.store('ten_a', 'conn_a', Readable.from([Buffer.from('id,name\n1,Ada\n')]), {
        fileName: 'customers.csv',
      });
      key = stored.key;
    });

    describeConnectorContract('local_file', () => connector, {
      valid: () => context(connector.parseConfig({ fileName: 'customers.csv', storageKey: key }, {})),
      probe: { fileName: 'customers.csv', size: 14 },
      failing: () => context(connector.parseConfig({ fileName: 'customers.csv' }, {})),
      failure: /^No file uploaded yet$/,
      refusal: { config: { config: () => ({ storageKey: '../../etc/passwd' }), field: 'config.storageKey' } },
      discovered: ['customers.csv'],
      read: { item: { externalId: 'customers.csv' }, content: 'id,name\n1,Ada\n' },
    });
  });
});
