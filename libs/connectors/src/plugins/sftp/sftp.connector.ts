import { EnvDto, SafeNetworkError } from '@sluice/core';
import * as mime from 'mime-types';
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { Stats } from 'ssh2';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import type {
  ByteRange,
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { assertByteRange } from '../../files/byte-range';
import { FILE_SELECTION_PROPERTIES, parseFileSelection } from '../../files/file-selection';
import { globMatcher } from '../folder/folder-paths';
import {
  checkRelativePath,
  describeSftpError,
  isDirectory,
  isInsideRoot,
  isMissing,
  isRegularFile,
  lstat,
  notFound,
  openSftp,
  outsideRoot,
  pathUnderRoot,
  readdir,
  realpath,
  type SftpConfig,
  type SftpSession,
} from './sftp-session';

export type { SftpConfig } from './sftp-session';

export const SFTP_BATCH_SIZE = 500;
/** How far `test` walks: enough to prove access and give a feel for the size. */
const TEST_MAX_FILES = 1_000;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['host'],
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1, maxLength: 253, description: 'SSH server host name or IP address' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 22, description: 'SSH port' },
    root: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      default: '.',
      description: 'Folder on the server whose files are synced (absolute, or relative to the login folder)',
    },
    ...FILE_SELECTION_PROPERTIES,
    hostKeyFingerprint: {
      type: 'string',
      pattern: FINGERPRINT.source,
      description:
        'Pinned host key, as `ssh-keygen -lf` prints it (SHA256:…); a server presenting another key is refused',
      examples: ['SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU'],
    },
  },
};

const AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['username'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256, description: 'SSH user name' },
    password: { type: 'string', minLength: 1, maxLength: 1024, description: 'Password (or use privateKey)' },
    privateKey: {
      type: 'string',
      minLength: 1,
      maxLength: 65_536,
      description: 'Private key in OpenSSH or PEM format (instead of password)',
    },
    passphrase: { type: 'string', minLength: 1, maxLength: 1024, description: 'Passphrase of an encrypted privateKey' },
  },
};

const problem = (field: string, message: string): ConnectorConfigError =>
  new ConnectorConfigError([{ field, messages: [message] }]);

interface ListedFile {
  relativePath: string;
  attrs: Stats;
}

/**
 * Files on an SSH server, listed and read over SFTP. Paths are judged twice: lexically before the
 * server is asked (no `..` out of the root, no absolute paths), and by the server's real path
 * before a read (no symbolic link out of the root). Each call opens its own connection, through
 * the safe-network guard, and closes it when done.
 */
@ConnectorPlugin({
  type: 'sftp',
  category: 'files',
  displayName: 'SFTP',
  description: 'Files in a folder on an SSH server, reached over SFTP with a password or a private key.',
  readiness: 'ready',
  capabilities: ['test', 'discover', 'read'],
  destinationFields: ['host', 'port', 'hostKeyFingerprint'],
})
export class SftpConnector implements ConnectorPluginContract<SftpConfig> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema = AUTH_SCHEMA;

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): SftpConfig {
    const { host, port = 22, root = '.' } = config;
    if (typeof host !== 'string' || host.trim() === '') throw problem('config.host', 'is required');
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
      throw problem('config.port', 'must be a port number (1-65535)');
    }
    if (typeof root !== 'string' || root === '' || root.includes('\0')) {
      throw problem('config.root', 'must be a folder path');
    }
    const selection = parseFileSelection(config);
    const fingerprint = config.hostKeyFingerprint;
    if (fingerprint !== undefined && (typeof fingerprint !== 'string' || !FINGERPRINT.test(fingerprint))) {
      throw problem('config.hostKeyFingerprint', 'must be SHA256:<base64>, as ssh-keygen -lf prints it');
    }
    const { username, password, privateKey, passphrase } = auth as Record<string, string | undefined>;
    if (typeof username !== 'string' || username === '') throw problem('authConfig.username', 'is required');
    if (!password && !privateKey) throw problem('authConfig.password', 'give a password or a privateKey');
    if (password && privateKey) throw problem('authConfig.privateKey', 'give either a password or a privateKey');
    if (passphrase && !privateKey) throw problem('authConfig.passphrase', 'is only used with a privateKey');
    return {
      host: host.trim(),
      port: port as number,
      root,
      ...selection,
      hostKeyFingerprint: (fingerprint as string | undefined) ?? null,
      username,
      ...(privateKey ? { privateKey, ...(passphrase ? { passphrase } : {}) } : { password }),
    };
  }

  async test(ctx: ConnectorContext<SftpConfig>): Promise<ProbeOutcome> {
    let session: SftpSession | undefined;
    try {
      session = await this.open(ctx);
      let files = 0;
      let totalBytes = 0;
      let truncated = false;
      for await (const file of this.walk(ctx, session)) {
        if (files === Math.min(ctx.config.maxFiles, TEST_MAX_FILES)) {
          truncated = true;
          break;
        }
        files++;
        totalBytes += file.attrs.size;
      }
      return {
        success: true,
        message: `Connected to ${ctx.config.host}: ${truncated ? `more than ${files}` : files} matching files under ${session.root}`,
        ...(files === 0 ? { warning: 'The server is reachable but no file matches under the root' } : {}),
        details: { root: session.root, files, totalBytes, ...(truncated ? { truncated } : {}) },
      };
    } catch (error) {
      // A refused address is the caller's configuration, not a failed probe: the service answers 422.
      if (error instanceof SafeNetworkError) throw error;
      return { success: false, message: describeSftpError(error, ctx.config), details: {} };
    } finally {
      session?.close();
    }
  }

  async *discover(ctx: ConnectorContext<SftpConfig>): AsyncIterable<DiscoveredItem[]> {
    const session = await this.open(ctx);
    try {
      let batch: DiscoveredItem[] = [];
      let count = 0;
      for await (const file of this.walk(ctx, session)) {
        if (count === ctx.config.maxFiles) {
          ctx.logger.warn(
            `The SFTP root holds more than maxFiles (${ctx.config.maxFiles}) files; the rest are left out`,
          );
          break;
        }
        count++;
        batch.push(this.toItem(file));
        if (batch.length === SFTP_BATCH_SIZE) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      session.close();
    }
  }

  /** Streams one file; `range.end` is inclusive. The connection closes when the stream ends. */
  async read(
    ctx: ConnectorContext<SftpConfig>,
    item: Pick<DiscoveredItem, 'externalId' | 'path'>,
    range: ByteRange = {},
  ): Promise<Readable> {
    const { start, end } = range;
    assertByteRange(range);
    // Lexically first, before any connection: a path out of the root is never sent to the server.
    checkRelativePath(item.externalId);
    const session = await this.open(ctx);
    try {
      const path = await this.realFileInside(session, item.externalId);
      if (path === null) throw notFound();
      const source = session.sftp.createReadStream(path, { start, end });
      const out = new PassThrough();
      let closed = false;
      const finish = (error?: Error) => {
        if (closed) return;
        closed = true;
        ctx.signal.removeEventListener('abort', onAbort);
        source.destroy();
        session.close();
        if (error) out.destroy(error);
      };
      const onAbort = () => finish(new Error('The read was cancelled'));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      source.on('error', (error: Error) => finish(isMissing(error) ? notFound() : error));
      source.on('end', () => finish());
      out.on('close', () => finish());
      source.pipe(out);
      return out;
    } catch (error) {
      session.close();
      throw error;
    }
  }

  /** The file again, for a one-document sync: null when it is gone or no longer matches the settings. */
  async lookup(ctx: ConnectorContext<SftpConfig>, externalId: string): Promise<DiscoveredItem | null> {
    checkRelativePath(externalId);
    if (!ctx.config.recursive && externalId.includes('/')) return null;
    const matchers = ctx.config.include.map(globMatcher);
    if (matchers.length > 0 && !matchers.some((matches) => matches(externalId))) return null;
    const session = await this.open(ctx);
    try {
      const path = await this.realFileInside(session, externalId);
      if (path === null) return null;
      const attrs = await lstat(session.sftp, path);
      return isRegularFile(attrs) ? this.toItem({ relativePath: externalId, attrs }) : null;
    } finally {
      session.close();
    }
  }

  private open(ctx: ConnectorContext<SftpConfig>): Promise<SftpSession> {
    return openSftp(ctx, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
  }

  /**
   * The server's real path of a file under the root: null when nothing is there; refused when
   * the path, or a symbolic link on it, leads out of the root.
   */
  private async realFileInside(session: SftpSession, relative: string): Promise<string | null> {
    const lexical = pathUnderRoot(session.root, relative);
    let real: string;
    try {
      real = await realpath(session.sftp, lexical);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    if (!isInsideRoot(session.root, real)) throw outsideRoot();
    return real;
  }

  /**
   * Files under the root, depth first; symbolic links are not followed (a link could lead out of
   * the root or into a loop). A folder that cannot be listed is skipped with a warning.
   */
  private async *walk(ctx: ConnectorContext<SftpConfig>, session: SftpSession): AsyncGenerator<ListedFile> {
    const matchers = ctx.config.include.map(globMatcher);
    const matches = (path: string) => matchers.length === 0 || matchers.some((m) => m(path));
    const pending: string[] = [''];
    while (pending.length > 0) {
      const directory = pending.pop()!;
      let entries: Awaited<ReturnType<typeof readdir>>;
      try {
        entries = await readdir(session.sftp, posix.join(session.root, directory));
      } catch (error) {
        if (directory === '') throw error;
        ctx.logger.warn(`Skipped unreadable SFTP folder "${directory}"`);
        continue;
      }
      entries.sort((a, b) => a.filename.localeCompare(b.filename));
      for (const entry of entries) {
        ctx.signal.throwIfAborted();
        if (entry.filename === '.' || entry.filename === '..' || entry.filename.includes('/')) continue;
        const relativePath = directory ? `${directory}/${entry.filename}` : entry.filename;
        if (isDirectory(entry.attrs)) {
          if (ctx.config.recursive) pending.push(relativePath);
        } else if (isRegularFile(entry.attrs) && matches(relativePath)) {
          yield { relativePath, attrs: entry.attrs };
        }
      }
    }
  }

  private toItem({ relativePath, attrs }: ListedFile): DiscoveredItem {
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    return {
      externalId: relativePath,
      kind: 'file',
      name,
      path: relativePath,
      mimeType: mime.lookup(name) || undefined,
      size: attrs.size,
      // SFTP v3 gives mtime in whole seconds: size joins it so a same-second rewrite of another length shows.
      checksum: `${attrs.mtime}-${attrs.size}`,
      modifiedAt: new Date(attrs.mtime * 1000),
    };
  }
}
