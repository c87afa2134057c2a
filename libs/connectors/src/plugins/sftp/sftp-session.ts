import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Client, type ConnectConfig, type FileEntryWithStats, type SFTPWrapper, type Stats } from 'ssh2';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import type { ConnectorContext } from '../../plugin/connector-plugin';

/** Configuration of an SFTP connector, as parseConfig returns it (secrets included). */
export interface SftpConfig {
  host: string;
  port: number;
  /** Absolute path on the server under which files are listed and read. */
  root: string;
  recursive: boolean;
  include: string[];
  maxFiles: number;
  /** `SHA256:<base64>` as `ssh-keygen -lf` prints it; null accepts any host key. */
  hostKeyFingerprint: string | null;
  username: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
}

/** The host key is not the pinned one: the server may be an impostor, so nothing is sent to it. */
export class HostKeyMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`The server's host key fingerprint is ${actual}, not the pinned ${expected}; refusing to connect`);
    this.name = 'HostKeyMismatchError';
  }
}

/** OpenSSH's form of a host key fingerprint: `SHA256:` and the unpadded base64 of the key's SHA-256. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Equal fingerprints, allowing for `=` padding a user may have pasted. */
function sameFingerprint(a: string, b: string): boolean {
  return a.replace(/=+$/, '') === b.replace(/=+$/, '');
}

export interface SftpSession {
  sftp: SFTPWrapper;
  /** The real path of the configured root on the server. */
  root: string;
  close(): void;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
export const isDirectory = (attrs: Pick<Stats, 'mode'>): boolean => (attrs.mode & S_IFMT) === S_IFDIR;
export const isRegularFile = (attrs: Pick<Stats, 'mode'>): boolean => (attrs.mode & S_IFMT) === S_IFREG;

/** True when `path` is `root` or below it (both absolute POSIX paths, normalised). */
export function isInsideRoot(root: string, path: string): boolean {
  if (root === '/') return path.startsWith('/');
  return path === root || path.startsWith(`${root}/`);
}

export const outsideRoot = (): ConnectorRequestError =>
  new ConnectorRequestError('PATH_OUTSIDE_FOLDER', 'The path leads outside the connector root');
export const notFound = (): ConnectorRequestError =>
  new ConnectorRequestError('FILE_NOT_FOUND', 'No such file under the connector root');

/** Refuses, before any connection, a path that is absolute, holds a NUL byte or climbs above its start. */
export function checkRelativePath(relative: string): void {
  if (typeof relative !== 'string' || relative === '' || relative.includes('\0') || relative.startsWith('/')) {
    throw outsideRoot();
  }
  const normal = posix.normalize(relative);
  if (normal === '..' || normal.startsWith('../') || normal === '.') throw outsideRoot();
}

/**
 * The absolute server path of `relative` (a path from the root, as discovery reports it), judged
 * lexically: absolute paths, NUL bytes and `..` that climb out of the root are refused before the
 * server is asked anything.
 */
export function pathUnderRoot(root: string, relative: string): string {
  checkRelativePath(relative);
  const joined = posix.normalize(posix.join(root, relative));
  if (!isInsideRoot(root, joined) || joined === root) throw outsideRoot();
  return joined;
}

const promisify = <T>(work: (done: (error: Error | null | undefined, value: T) => void) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => work((error, value) => (error ? reject(error) : resolve(value))));

export const realpath = (sftp: SFTPWrapper, path: string): Promise<string> =>
  promisify((done) => sftp.realpath(path, done));
export const stat = (sftp: SFTPWrapper, path: string): Promise<Stats> => promisify((done) => sftp.stat(path, done));
export const lstat = (sftp: SFTPWrapper, path: string): Promise<Stats> => promisify((done) => sftp.lstat(path, done));
export const readdir = (sftp: SFTPWrapper, path: string): Promise<FileEntryWithStats[]> =>
  promisify((done) => sftp.readdir(path, done));

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that mean "not there" and "not allowed". */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;
export const sftpCode = (error: unknown): number | undefined => (error as { code?: unknown }).code as number;
export const isMissing = (error: unknown): boolean => sftpCode(error) === NO_SUCH_FILE;
export const isDenied = (error: unknown): boolean => sftpCode(error) === PERMISSION_DENIED;

/**
 * Opens an SSH connection and its SFTP channel. The host is resolved and judged by the safe-network
 * guard first and ssh2 dials the judged address only; the host key is checked against the pinned
 * fingerprint before any credential is sent; the whole handshake is bounded by `timeoutMs` and
 * ctx.signal. The root is resolved on the server (so `.` or `~`-relative roots work) and must be a
 * folder.
 */
export async function openSftp(ctx: ConnectorContext<SftpConfig>, timeoutMs: number): Promise<SftpSession> {
  const { config } = ctx;
  ctx.signal.throwIfAborted();
  const target = await ctx.net.resolve(config.host);
  ctx.signal.throwIfAborted();
  const client = new Client();
  const seen: { fingerprint: string | null } = { fingerprint: null };
  const connectConfig: ConnectConfig = {
    host: target.address,
    port: config.port,
    username: config.username,
    readyTimeout: timeoutMs,
    // No keyboard-interactive or agent: only what the connector was given.
    tryKeyboard: false,
    hostVerifier: (key: Buffer) => {
      seen.fingerprint = sshFingerprint(key);
      return config.hostKeyFingerprint === null || sameFingerprint(config.hostKeyFingerprint, seen.fingerprint);
    },
    ...(config.privateKey !== undefined
      ? { privateKey: config.privateKey, ...(config.passphrase ? { passphrase: config.passphrase } : {}) }
      : { password: config.password }),
  };
  // A refused host key ends the handshake with a generic error: name both keys instead.
  const explain = (error: Error): Error =>
    seen.fingerprint && config.hostKeyFingerprint && !sameFingerprint(config.hostKeyFingerprint, seen.fingerprint)
      ? new HostKeyMismatchError(config.hostKeyFingerprint, seen.fingerprint)
      : error;
  const sftp = await handshake(client, connectConfig, ctx.signal, explain);
  // Errors after the handshake surface through the SFTP calls; the listener only keeps them handled.
  client.on('error', () => undefined);
  // A server that stops answering mid-listing must not outlive the caller: ending the connection
  // fails the pending SFTP calls.
  const onAbort = () => client.end();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const close = () => {
    ctx.signal.removeEventListener('abort', onAbort);
    client.end();
  };
  try {
    return { sftp, root: await openRoot(sftp, config.root), close };
  } catch (error) {
    close();
    throw error;
  }
}

/** Connects and opens the SFTP channel, or fails (explained) on error, close or abort. */
function handshake(
  client: Client,
  connectConfig: ConnectConfig,
  signal: AbortSignal,
  explain: (error: Error) => Error,
): Promise<SFTPWrapper> {
  return new Promise<SFTPWrapper>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      client.end();
      reject(explain(error));
    };
    const onAbort = () => fail(signal.reason instanceof Error ? signal.reason : new Error('Aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    client.on('error', fail);
    client.on('close', () => fail(new Error('The SSH connection closed during the handshake')));
    client.on('ready', () => {
      client.sftp((error, wrapper) => {
        if (error) return fail(error);
        if (settled) return wrapper.end();
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(wrapper);
      });
    });
    try {
      client.connect(connectConfig);
    } catch (error) {
      // A private key ssh2 cannot parse (or decrypt with the passphrase) throws here.
      fail(error as Error);
    }
  });
}

/** The root resolved on the server (so `.` or `~`-relative roots work); it must be a folder. */
async function openRoot(sftp: SFTPWrapper, wanted: string): Promise<string> {
  try {
    const root = await realpath(sftp, wanted);
    if (!isDirectory(await stat(sftp, root))) {
      throw new ConnectorRequestError('ROOT_NOT_A_FOLDER', `The root ${wanted} is not a folder on the server`);
    }
    return root;
  } catch (error) {
    if (isMissing(error)) {
      throw new ConnectorRequestError('ROOT_NOT_FOUND', `The root ${wanted} does not exist on the server`);
    }
    if (isDenied(error)) {
      throw new ConnectorRequestError('ROOT_NOT_READABLE', `The root ${wanted} cannot be read by this user`);
    }
    throw error;
  }
}

/** A message about a failed connection that is safe to show: no credentials, no stack. */
export function describeSftpError(error: unknown, config: Pick<SftpConfig, 'host' | 'port'>): string {
  if (error instanceof HostKeyMismatchError || error instanceof ConnectorRequestError) return error.message;
  const err = error as { level?: string; code?: string; message?: string };
  if (err.level === 'client-authentication') {
    return 'Authentication failed: the server refused the username and credentials';
  }
  if (err.code === 'ECONNREFUSED') return `Connection refused by ${config.host}:${config.port}`;
  if (err.code === 'ETIMEDOUT' || /timed out/i.test(err.message ?? '')) {
    return `Timed out connecting to ${config.host}:${config.port}`;
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `Could not resolve host ${config.host}`;
  if (/privateKey|passphrase|Cannot parse/i.test(err.message ?? '')) {
    return 'The private key could not be read (wrong format or passphrase)';
  }
  if (err.level === 'client-socket' || err.code === 'ECONNRESET') {
    return `The connection to ${config.host}:${config.port} failed`;
  }
  return 'The SFTP connection failed';
}
