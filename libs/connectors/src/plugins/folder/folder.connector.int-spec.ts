import type { LoggerService } from '@nestjs/common';
import { EnvDto } from '@sluice/core';
import type { SafeNetwork } from '@sluice/core';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type { ConnectorContext, DiscoveredItem } from '../../plugin/connector-plugin';
import { CONNECTOR_PLUGIN } from '../../plugin/connector-plugin.decorator';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { FolderConnector, type FolderConfig } from './folder.connector';

const logger: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };

function configError(work: () => unknown): ConnectorConfigError {
  try {
    work();
  } catch (error) {
    if (error instanceof ConnectorConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConnectorConfigError');
}

/** The message about config.path in the error `work` throws. */
function pathProblem(work: () => unknown): string {
  const details = configError(work).details as Array<{ field: string; messages: string[] }>;
  expect(details[0].field).toBe('config.path');
  return details[0].messages.join(' ');
}

describe('FolderConnector', () => {
  let tmp: string;
  let allowed: string;
  let data: string;
  let outside: string;
  let connector: FolderConnector;

  const connectorFor = (roots: string | undefined): FolderConnector =>
    new FolderConnector(Object.assign(new EnvDto(), { FOLDER_ALLOWED_ROOTS: roots }));

  const context = (config: Record<string, unknown>): ConnectorContext<FolderConfig> => ({
    tenantId: 'ten_a',
    connectorId: 'conn_a',
    config: connector.parseConfig(config, {}),
    signal: new AbortController().signal,
    net: {} as SafeNetwork,
    logger,
  });

  const discoverAll = async (ctx: ConnectorContext<FolderConfig>): Promise<DiscoveredItem[][]> => {
    const batches: DiscoveredItem[][] = [];
    for await (const batch of connector.discover(ctx)) batches.push(batch);
    return batches;
  };

  beforeEach(() => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-folder-')));
    allowed = join(tmp, 'allowed');
    data = join(allowed, 'data');
    outside = join(tmp, 'outside');
    mkdirSync(join(data, 'sub', 'deeper'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(data, 'a.csv'), 'id\n1\n');
    writeFileSync(join(data, 'notes.txt'), 'hello');
    writeFileSync(join(data, 'sub', 'b.json'), '{"b":1}');
    writeFileSync(join(data, 'sub', 'deeper', 'C.CSV'), 'x\n');
    writeFileSync(join(outside, 'secret.txt'), 'top secret');
    symlinkSync(join(outside, 'secret.txt'), join(data, 'link-out.txt'));
    symlinkSync(join(data, 'a.csv'), join(data, 'link-in.csv'));
    symlinkSync(outside, join(data, 'dir-out'));
    symlinkSync(join(data, 'sub'), join(data, 'dir-in'));
    symlinkSync(join(data, 'missing'), join(data, 'dangling.txt'));
    connector = connectorFor(` ${allowed} ,/nonexistent/root`);
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('registers as the folder type', () => {
    expect(Reflect.getMetadata(CONNECTOR_PLUGIN, FolderConnector)).toMatchObject({
      type: 'folder',
      category: 'files',
      displayName: 'Server folder',
    });
  });

  describe('parseConfig', () => {
    it('accepts a folder inside an allowed root, with defaults', () => {
      expect(connector.parseConfig({ path: data }, {})).toEqual({
        path: data,
        recursive: true,
        include: [],
        maxFiles: 100_000,
      });
      expect(connector.parseConfig({ path: allowed }, {}).path).toBe(allowed);
    });

    it('refuses a folder outside the allowed roots, naming FOLDER_ALLOWED_ROOTS', () => {
      const error = configError(() => connector.parseConfig({ path: outside }, {}));
      expect(error.details).toEqual([
        { field: 'config.path', messages: [expect.stringContaining('FOLDER_ALLOWED_ROOTS')] },
      ]);
    });

    it('refuses ../ and symbolic links that lead out of the roots', () => {
      expect(() => connector.parseConfig({ path: join(data, '..', '..', 'outside') }, {})).toThrow(
        ConnectorConfigError,
      );
      expect(pathProblem(() => connector.parseConfig({ path: join(data, 'dir-out') }, {}))).toMatch(
        /FOLDER_ALLOWED_ROOTS/,
      );
      const prefixTwin = join(tmp, 'allowed-twin');
      mkdirSync(prefixTwin);
      expect(() => connector.parseConfig({ path: prefixTwin }, {})).toThrow(ConnectorConfigError);
    });

    it('refuses relative, missing and non-folder paths, and everything when no root is set', () => {
      expect(pathProblem(() => connector.parseConfig({ path: 'data' }, {}))).toBe('must be an absolute path');
      expect(pathProblem(() => connector.parseConfig({ path: join(data, 'nope') }, {}))).toMatch(/does not exist/);
      expect(pathProblem(() => connector.parseConfig({ path: join(data, 'a.csv') }, {}))).toMatch(/not a folder/);
      expect(pathProblem(() => connectorFor(undefined).parseConfig({ path: data }, {}))).toMatch(
        /FOLDER_ALLOWED_ROOTS/,
      );
    });

    it('answers alike for everything outside the roots, existing or not, before touching it', () => {
      const answers = [
        outside,
        join(outside, 'secret.txt'),
        join(outside, 'nope'),
        '/etc/shadow',
        '/etc',
        '/nope/at/all',
      ].map((path) => pathProblem(() => connector.parseConfig({ path }, {})));
      expect(new Set(answers)).toEqual(new Set([expect.stringContaining('outside the allowed roots')]));
      expect(new Set(answers).size).toBe(1);
    });

    it('replaces {tenant} in a root by the caller tenant, and keeps a root without it shared', () => {
      const perTenant = connectorFor(`${join(tmp, 'tenants', '{tenant}')},${allowed}`);
      mkdirSync(join(tmp, 'tenants', 'ten_a', 'files'), { recursive: true });
      const own = join(tmp, 'tenants', 'ten_a', 'files');
      expect(perTenant.parseConfig({ path: own }, {}, { tenantId: 'ten_a' }).path).toBe(own);
      expect(pathProblem(() => perTenant.parseConfig({ path: own }, {}, { tenantId: 'ten_b' }))).toMatch(
        /outside the allowed roots/,
      );
      // Without a tenant, only the shared roots apply.
      expect(pathProblem(() => perTenant.parseConfig({ path: own }, {}))).toMatch(/outside the allowed roots/);
      for (const tenantId of ['ten_a', 'ten_b']) {
        expect(perTenant.parseConfig({ path: data }, {}, { tenantId }).path).toBe(data);
      }
    });

    it('refuses a folder that holds STORAGE_DIR or lies inside it', () => {
      const storage = join(data, 'sub');
      const guarded = new FolderConnector(
        Object.assign(new EnvDto(), { FOLDER_ALLOWED_ROOTS: allowed, STORAGE_DIR: storage }),
      );
      for (const path of [data, storage, join(storage, 'deeper'), join(data, 'dir-in')]) {
        expect(pathProblem(() => guarded.parseConfig({ path }, {}))).toMatch(/STORAGE_DIR/);
      }
      mkdirSync(join(allowed, 'beside'));
      expect(guarded.parseConfig({ path: join(allowed, 'beside') }, {}).path).toBe(join(allowed, 'beside'));
    });

    it('checks the optional fields', () => {
      expect(() => connector.parseConfig({ path: data, include: '*.csv' }, {})).toThrow(ConnectorConfigError);
      expect(() => connector.parseConfig({ path: data, maxFiles: 0 }, {})).toThrow(ConnectorConfigError);
      expect(() => connector.parseConfig({ path: data, recursive: 'yes' }, {})).toThrow(ConnectorConfigError);
    });
  });

  it('discovers files with relative ids, skipping links out of the root and never following folder links', async () => {
    const items = (await discoverAll(context({ path: data }))).flat();
    expect(items.map((i) => i.externalId).sort()).toEqual([
      'a.csv',
      'link-in.csv',
      'notes.txt',
      'sub/b.json',
      'sub/deeper/C.CSV',
    ]);
    const json = items.find((i) => i.externalId === 'sub/b.json')!;
    expect(json).toMatchObject({
      kind: 'file',
      name: 'b.json',
      path: 'sub/b.json',
      mimeType: 'application/json',
      size: 7,
    });
    expect(json.checksum).toMatch(/^\d+(\.\d+)?-7$/);
  });

  it('honours include patterns and recursive: false', async () => {
    const csv = (await discoverAll(context({ path: data, include: ['*.csv'] }))).flat();
    expect(csv.map((i) => i.externalId).sort()).toEqual(['a.csv', 'link-in.csv', 'sub/deeper/C.CSV']);
    const top = (await discoverAll(context({ path: data, recursive: false }))).flat();
    expect(top.map((i) => i.externalId).sort()).toEqual(['a.csv', 'link-in.csv', 'notes.txt']);
  });

  it('yields batches from 500 doubling up to 4,000, and stops at maxFiles', async () => {
    const many = join(allowed, 'many');
    mkdirSync(join(many, 'nested'), { recursive: true });
    for (let i = 0; i < 12_000; i++) writeFileSync(join(many, i % 3 === 0 ? 'nested' : '', `f${i}.txt`), 'x');
    const batches = await discoverAll(context({ path: many }));
    expect(batches.map((b) => b.length)).toEqual([500, 1_000, 2_000, 4_000, 4_000, 500]);
    expect(new Set(batches.flat().map((i) => i.externalId)).size).toBe(12_000);
    const capped = await discoverAll(context({ path: many, maxFiles: 1_000 }));
    expect(capped.map((b) => b.length)).toEqual([500, 500]);
  });

  it('stops discovering when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const ctx = { ...context({ path: data }), signal: controller.signal };
    await expect(discoverAll(ctx)).rejects.toThrow(/abort/i);
  });

  describe('read', () => {
    it('streams a file inside the folder, whole or by inclusive range', async () => {
      const ctx = context({ path: data });
      expect(await text(await connector.read(ctx, { externalId: 'sub/b.json' }))).toBe('{"b":1}');
      expect(await text(await connector.read(ctx, { externalId: 'notes.txt' }, { start: 1, end: 3 }))).toBe('ell');
      expect(await text(await connector.read(ctx, { externalId: 'link-in.csv' }))).toBe('id\n1\n');
    });

    it.each(['../outside/secret.txt', '../../outside/secret.txt', 'sub/../../../outside/secret.txt', 'link-out.txt'])(
      'refuses %s',
      async (externalId) => {
        await expect(connector.read(context({ path: data }), { externalId })).rejects.toMatchObject({
          code: 'PATH_OUTSIDE_FOLDER',
        });
      },
    );

    it('refuses absolute paths and a file reached through a folder link out of the root', async () => {
      const ctx = context({ path: data });
      await expect(connector.read(ctx, { externalId: join(outside, 'secret.txt') })).rejects.toBeInstanceOf(
        ConnectorRequestError,
      );
      await expect(connector.read(ctx, { externalId: 'dir-out/secret.txt' })).rejects.toMatchObject({
        code: 'PATH_OUTSIDE_FOLDER',
      });
    });

    it('answers FILE_NOT_FOUND for a missing file, a dangling link or a folder', async () => {
      const ctx = context({ path: data });
      for (const externalId of ['nope.txt', 'dangling.txt', 'sub']) {
        await expect(connector.read(ctx, { externalId })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      }
    });
  });
  describeConnectorContract('folder', () => connector, {
    valid: () => context({ path: data }),
    // a.csv, notes.txt, link-in.csv, sub/b.json, sub/deeper/C.CSV
    probe: { files: 5, totalBytes: 5 + 5 + 5 + 7 + 2 },
    failing: () => {
      const gone = join(allowed, 'gone');
      mkdirSync(gone);
      const ctx = context({ path: gone });
      rmSync(gone, { recursive: true });
      return ctx;
    },
    failure: /^config\.path does not exist or cannot be read by the server$/,
    refusal: {
      config: { config: () => ({ path: outside }), field: 'config.path' },
      item: {
        item: { externalId: '../outside/secret.txt' },
        error: { type: ConnectorRequestError, code: 'PATH_OUTSIDE_FOLDER' },
      },
    },
    discovered: ['a.csv', 'sub/b.json'],
    read: { item: { externalId: 'sub/b.json' }, content: '{"b":1}' },
  });

  describe('lookup', () => {
    it('finds one file again as discover would list it', async () => {
      const ctx = context({ path: data });
      const listed = (await discoverAll(ctx)).flat().find((item) => item.externalId === 'sub/b.json');
      expect(await connector.lookup(ctx, 'sub/b.json')).toEqual(listed);
    });

    it('answers null for a file that is gone, a folder, or one the settings leave out', async () => {
      expect(await connector.lookup(context({ path: data }), 'nope.txt')).toBeNull();
      expect(await connector.lookup(context({ path: data }), 'sub')).toBeNull();
      expect(await connector.lookup(context({ path: data, include: ['*.csv'] }), 'notes.txt')).toBeNull();
      expect(await connector.lookup(context({ path: data, recursive: false }), 'sub/b.json')).toBeNull();
    });

    it('refuses paths that lead outside the folder', async () => {
      for (const externalId of ['../outside/secret.txt', 'link-out.txt', 'dir-out/secret.txt']) {
        await expect(connector.lookup(context({ path: data }), externalId)).rejects.toMatchObject({
          code: 'PATH_OUTSIDE_FOLDER',
        });
      }
    });
  });
});
