import { EnvDto, SafeNetwork, SafeNetworkError } from '@sluice/core';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { contextFor, CountingListener } from '../../../../../test/helpers/connector-testing';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { SftpTestServer, sshKeyPair } from '../../../../../test/helpers/sftp-server';
import { freePort } from '../../../../../test/helpers/test-env';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type { ConnectorContext, DiscoveredItem } from '../../plugin/connector-plugin';
import { SftpConnector, type SftpConfig } from './sftp.connector';

const USER = 'feeder';
const PASSWORD = 'sftp-s3cret-pw';
const PASSPHRASE = 'key-passphrase';

describe('SftpConnector', () => {
  let tmp: string;
  let server: SftpTestServer;
  const connector = new SftpConnector(Object.assign(new EnvDto(), { CONNECTOR_PROBE_TIMEOUT_MS: 5_000 }));
  const keys = sshKeyPair(PASSPHRASE);

  const context = (
    config: Record<string, unknown> = {},
    auth: Record<string, unknown> = { username: USER, password: PASSWORD },
    net = new SafeNetwork('127.0.0.1'),
  ): ConnectorContext<SftpConfig> =>
    contextFor(connector.parseConfig({ host: '127.0.0.1', port: server.port, root: '/data', ...config }, auth), {
      net,
    });

  const discoverAll = async (ctx: ConnectorContext<SftpConfig>): Promise<DiscoveredItem[]> => {
    const items: DiscoveredItem[] = [];
    for await (const batch of connector.discover(ctx)) items.push(...batch);
    return items;
  };

  beforeAll(async () => {
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-sftp-')));
    mkdirSync(join(tmp, 'data', 'sub', 'deeper'), { recursive: true });
    mkdirSync(join(tmp, 'outside'));
    writeFileSync(join(tmp, 'data', 'a.csv'), 'id,name\n1,x\n2,y\n');
    writeFileSync(join(tmp, 'data', 'notes.txt'), 'hello sftp');
    writeFileSync(join(tmp, 'data', 'sub', 'b.json'), '{"b":1}');
    writeFileSync(join(tmp, 'data', 'sub', 'deeper', 'C.CSV'), 'x\n');
    writeFileSync(join(tmp, 'outside', 'secret.txt'), 'top secret');
    symlinkSync(join(tmp, 'outside', 'secret.txt'), join(tmp, 'data', 'link-out.txt'));
    server = await new SftpTestServer({
      base: tmp,
      username: USER,
      password: PASSWORD,
      publicKey: keys.public,
    }).start();
  });
  afterAll(async () => {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('parseConfig', () => {
    const fields = (work: () => unknown): string[] => {
      try {
        work();
      } catch (error) {
        if (error instanceof ConnectorConfigError)
          return (error.details as Array<{ field: string }>).map((d) => d.field);
        throw error;
      }
      return [];
    };

    it('fills defaults and keeps the secrets apart from nothing else', () => {
      expect(connector.parseConfig({ host: 'files.example.com' }, { username: 'u', password: 'p' })).toEqual({
        host: 'files.example.com',
        port: 22,
        root: '.',
        recursive: true,
        include: [],
        maxFiles: 100_000,
        hostKeyFingerprint: null,
        username: 'u',
        password: 'p',
      });
    });

    it('names the field at fault', () => {
      const auth = { username: 'u', password: 'p' };
      expect(fields(() => connector.parseConfig({ host: 'h', hostKeyFingerprint: 'md5:aa' }, auth))).toEqual([
        'config.hostKeyFingerprint',
      ]);
      expect(fields(() => connector.parseConfig({ host: 'h' }, { username: 'u' }))).toEqual(['authConfig.password']);
      expect(fields(() => connector.parseConfig({ host: 'h' }, { ...auth, privateKey: 'k' }))).toEqual([
        'authConfig.privateKey',
      ]);
      expect(fields(() => connector.parseConfig({ host: 'h' }, { ...auth, passphrase: 'x' }))).toEqual([
        'authConfig.passphrase',
      ]);
      expect(fields(() => connector.parseConfig({ host: 'h', port: 70_000 }, auth))).toEqual(['config.port']);
    });
  });

  describeConnectorContract('sftp', () => connector, {
    valid: () => context(),
    probe: { root: '/data', files: 4, totalBytes: 16 + 10 + 7 + 2 },
    failing: () => context({}, { username: USER, password: 'wrong-password' }),
    failure: /^Authentication failed/,
    refusal: {
      context: {
        context: () => context({}, undefined, new SafeNetwork(undefined)),
        error: { type: SafeNetworkError, code: 'ADDRESS_REFUSED' },
      },
      item: {
        item: { externalId: '../outside/secret.txt' },
        error: { type: ConnectorRequestError, code: 'PATH_OUTSIDE_FOLDER' },
      },
    },
    discovered: ['a.csv', 'sub/b.json', 'sub/deeper/C.CSV'],
    read: { item: { externalId: 'sub/b.json' }, content: '{"b":1}' },
  });

  it('discovers files with size, mtime-size checksum and type, never following a link', async () => {
    const items = await discoverAll(context());
    expect(items.map((i) => i.externalId).sort()).toEqual(['a.csv', 'notes.txt', 'sub/b.json', 'sub/deeper/C.CSV']);
    const csv = items.find((i) => i.externalId === 'a.csv')!;
    expect(csv).toMatchObject({ kind: 'file', name: 'a.csv', path: 'a.csv', mimeType: 'text/csv', size: 16 });
    expect(csv.checksum).toMatch(/^\d+-16$/);
    expect(csv.modifiedAt).toBeInstanceOf(Date);
  });

  it('honours include patterns and recursive: false', async () => {
    expect((await discoverAll(context({ include: ['*.csv'] }))).map((i) => i.externalId).sort()).toEqual([
      'a.csv',
      'sub/deeper/C.CSV',
    ]);
    expect((await discoverAll(context({ recursive: false }))).map((i) => i.externalId).sort()).toEqual([
      'a.csv',
      'notes.txt',
    ]);
  });

  it('reads inclusive byte ranges, streamed', async () => {
    expect(await text(await connector.read(context(), { externalId: 'notes.txt' }, { start: 6, end: 9 }))).toBe('sftp');
    expect(await text(await connector.read(context(), { externalId: 'notes.txt' }, { start: 6 }))).toBe('sftp');
    await expect(connector.read(context(), { externalId: 'notes.txt' }, { start: 5, end: 2 })).rejects.toMatchObject({
      code: 'INVALID_RANGE',
    });
  });

  it.each(['../outside/secret.txt', 'sub/../../outside/secret.txt', '/etc/passwd', 'link-out.txt'])(
    'refuses %s, which leads out of the root',
    async (externalId) => {
      await expect(connector.read(context(), { externalId })).rejects.toMatchObject({ code: 'PATH_OUTSIDE_FOLDER' });
      await expect(connector.lookup(context(), externalId)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_FOLDER' });
    },
  );

  it('answers FILE_NOT_FOUND for a missing file', async () => {
    await expect(connector.read(context(), { externalId: 'nope.txt' })).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
  });

  it('looks one file up as discovery lists it, null when gone or filtered out', async () => {
    const listed = (await discoverAll(context())).find((i) => i.externalId === 'sub/b.json');
    expect(await connector.lookup(context(), 'sub/b.json')).toEqual(listed);
    expect(await connector.lookup(context(), 'nope.txt')).toBeNull();
    expect(await connector.lookup(context(), 'sub')).toBeNull();
    expect(await connector.lookup(context({ include: ['*.csv'] }), 'notes.txt')).toBeNull();
  });

  describe('probe failures', () => {
    it('reports wrong credentials without the password', async () => {
      const outcome = await connector.test(context({}, { username: USER, password: 'nope-nope' }));
      expect(outcome.success).toBe(false);
      expect(outcome.message).toBe('Authentication failed: the server refused the username and credentials');
      expect(JSON.stringify(outcome)).not.toContain('nope-nope');
    });

    it('reports a closed port as refused', async () => {
      const port = await freePort();
      const outcome = await connector.test(context({ port }));
      expect(outcome).toMatchObject({ success: false, message: `Connection refused by 127.0.0.1:${port}` });
    });

    it('refuses a host key that is not the pinned one, naming both fingerprints, before logging in', async () => {
      const pinned = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
      const logins = server.logins;
      const outcome = await connector.test(context({ hostKeyFingerprint: pinned }));
      expect(outcome.success).toBe(false);
      expect(outcome.message).toContain(pinned);
      expect(outcome.message).toContain(server.fingerprint);
      expect(server.logins).toBe(logins);
    });

    it('accepts the pinned host key', async () => {
      expect((await connector.test(context({ hostKeyFingerprint: server.fingerprint }))).success).toBe(true);
    });

    it('reports a root that does not exist', async () => {
      const outcome = await connector.test(context({ root: '/missing' }));
      expect(outcome).toMatchObject({ success: false, message: 'The root /missing does not exist on the server' });
    });

    it('gives up on a server that never completes the handshake, within the probe timeout', async () => {
      const silent = await new CountingListener().start();
      try {
        const quick = new SftpConnector(Object.assign(new EnvDto(), { CONNECTOR_PROBE_TIMEOUT_MS: 300 }));
        const ctx = contextFor(
          quick.parseConfig({ host: '127.0.0.1', port: silent.port }, { username: USER, password: PASSWORD }),
        );
        const started = Date.now();
        expect(await quick.test(ctx)).toMatchObject({
          success: false,
          message: `Timed out connecting to 127.0.0.1:${silent.port}`,
        });
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(silent.connections).toBe(1);
      } finally {
        await silent.stop();
      }
    });

    it('warns when nothing matches under the root', async () => {
      const outcome = await connector.test(context({ include: ['*.parquet'] }));
      expect(outcome).toMatchObject({ success: true, details: { files: 0 }, warning: expect.any(String) });
    });
  });

  describe('private-key login', () => {
    it('logs in with an encrypted key and its passphrase', async () => {
      const ctx = context({}, { username: USER, privateKey: keys.private, passphrase: PASSPHRASE });
      expect(await connector.test(ctx)).toMatchObject({ success: true, details: { files: 4 } });
      expect(await text(await connector.read(ctx, { externalId: 'a.csv' }))).toBe('id,name\n1,x\n2,y\n');
    });

    it('fails clearly with a wrong passphrase or a key the server does not know', async () => {
      const wrong = await connector.test(
        context({}, { username: USER, privateKey: keys.private, passphrase: 'not-it' }),
      );
      expect(wrong).toMatchObject({ success: false, message: expect.stringMatching(/private key/) });
      const stranger = sshKeyPair();
      const unknown = await connector.test(context({}, { username: USER, privateKey: stranger.private }));
      expect(unknown).toMatchObject({ success: false, message: expect.stringMatching(/^Authentication failed/) });
    });
  });
});
