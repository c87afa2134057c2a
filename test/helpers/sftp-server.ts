import { createHash, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, posix, relative, sep } from 'node:path';
import { Server, utils, type Connection, type SFTPWrapper } from 'ssh2';

const { STATUS_CODE, OPEN_MODE } = utils.sftp;

export interface SftpTestServerOptions {
  /** The folder served as `/`. */
  base: string;
  username: string;
  password?: string;
  /** OpenSSH public key accepted for `username` (publickey authentication). */
  publicKey?: string;
}

/** A key pair in OpenSSH format. */
export function sshKeyPair(passphrase?: string): { private: string; public: string } {
  return utils.generateKeyPairSync(
    'ed25519',
    passphrase ? { passphrase, cipher: 'aes256-ctr', rounds: 4 } : {},
  ) as unknown as { private: string; public: string };
}

/** OpenSSH's fingerprint of a public key (SHA256:base64 without padding). */
export function fingerprintOf(publicKey: string | Buffer): string {
  const parsed = utils.parseKey(publicKey);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return `SHA256:${createHash('sha256').update(key.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function attrsOf(stats: Stats) {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

/**
 * An in-process SSH server with the SFTP subset the sftp connector uses (REALPATH, STAT, LSTAT,
 * OPENDIR, READDIR, OPEN, READ, CLOSE), read-only, serving `base` as `/`. Paths never climb out
 * of `base`; a symbolic link inside it that points out is resolved by REALPATH to a path starting
 * with `/../`, outside every root the client may have chosen, as a real server would show a link
 * to elsewhere on its disk.
 */
export class SftpTestServer {
  readonly hostKey = sshKeyPair();
  readonly fingerprint = fingerprintOf(this.hostKey.public);
  port = 0;
  /** TCP connections accepted, and logins that succeeded. */
  connections = 0;
  logins = 0;
  private readonly server: Server;
  private readonly clients = new Set<Connection>();
  private readonly baseReal: string;

  constructor(private readonly options: SftpTestServerOptions) {
    this.baseReal = realpathSync(options.base);
    this.server = new Server({ hostKeys: [this.hostKey.private] }, (client) => this.onClient(client));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.end();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onClient(client: Connection): void {
    this.connections++;
    this.clients.add(client);
    client.on('close', () => this.clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.username !== this.options.username) return ctx.reject(['password', 'publickey']);
      if (ctx.method === 'password' && this.options.password !== undefined) {
        return sameBytes(Buffer.from(ctx.password), Buffer.from(this.options.password))
          ? ctx.accept()
          : ctx.reject(['password', 'publickey']);
      }
      if (ctx.method === 'publickey' && this.options.publicKey) {
        const allowed = utils.parseKey(this.options.publicKey);
        if (allowed instanceof Error || Array.isArray(allowed)) return ctx.reject();
        if (ctx.key.algo !== allowed.type || !sameBytes(ctx.key.data, allowed.getPublicSSH())) return ctx.reject();
        if (ctx.signature && allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject();
        return ctx.accept();
      }
      return ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      this.logins++;
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => this.serve(acceptSftp()));
      });
    });
  }

  /** The host path of a virtual path, or null when it climbs out of `base`. */
  private hostPath(virtual: string): string | null {
    const normal = posix.normalize(posix.join('/', virtual));
    const host = join(this.baseReal, ...normal.split('/').filter(Boolean));
    const rel = relative(this.baseReal, host);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..') ? host : null;
  }

  /** The virtual path of a host path: inside `base` as `/…`; outside it, the host path under `/..`. */
  private virtualPath(host: string): string {
    const rel = relative(this.baseReal, host);
    if (rel === '') return '/';
    return rel.startsWith('..') ? `/../${rel}` : `/${rel.split(sep).join('/')}`;
  }

  private serve(sftp: SFTPWrapper): void {
    const handles = new Map<number, { fd?: number; dir?: string; listed?: boolean }>();
    let nextHandle = 1;
    const handleFor = (entry: { fd?: number; dir?: string }) => {
      const id = nextHandle++;
      handles.set(id, entry);
      const buffer = Buffer.alloc(4);
      buffer.writeUInt32BE(id);
      return buffer;
    };
    const lookup = (buffer: Buffer) => (buffer.length === 4 ? handles.get(buffer.readUInt32BE(0)) : undefined);
    const guarded = (reqid: number, work: () => void) => {
      try {
        work();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        sftp.status(
          reqid,
          code === 'ENOENT' || code === 'ENOTDIR'
            ? STATUS_CODE.NO_SUCH_FILE
            : code === 'EACCES'
              ? STATUS_CODE.PERMISSION_DENIED
              : STATUS_CODE.FAILURE,
        );
      }
    };

    sftp.on('REALPATH', (reqid, path) =>
      guarded(reqid, () => {
        const host = this.hostPath(path);
        if (host === null || !existsSync(host)) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
        const virtual = this.virtualPath(realpathSync(host));
        sftp.name(reqid, [{ filename: virtual, longname: virtual, attrs: {} as never }]);
      }),
    );
    for (const [event, read] of [
      ['STAT', statSync],
      ['LSTAT', lstatSync],
    ] as const) {
      sftp.on(event, (reqid: number, path: string) =>
        guarded(reqid, () => {
          const host = this.hostPath(path);
          if (host === null) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
          sftp.attrs(reqid, attrsOf(read(host)));
        }),
      );
    }
    sftp.on('OPENDIR', (reqid, path) =>
      guarded(reqid, () => {
        const host = this.hostPath(path);
        if (host === null) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
        if (!statSync(host).isDirectory()) return sftp.status(reqid, STATUS_CODE.FAILURE);
        sftp.handle(reqid, handleFor({ dir: host }));
      }),
    );
    sftp.on('READDIR', (reqid, handle) =>
      guarded(reqid, () => {
        const entry = lookup(handle);
        if (!entry?.dir) return sftp.status(reqid, STATUS_CODE.FAILURE);
        if (entry.listed) return sftp.status(reqid, STATUS_CODE.EOF);
        entry.listed = true;
        const names = readdirSync(entry.dir).map((filename) => {
          const stats = lstatSync(join(entry.dir!, filename));
          return { filename, longname: filename, attrs: attrsOf(stats) };
        });
        sftp.name(reqid, names);
      }),
    );
    sftp.on('OPEN', (reqid, path, flags) =>
      guarded(reqid, () => {
        if (flags !== OPEN_MODE.READ) return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED);
        const host = this.hostPath(path);
        if (host === null) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
        const fd = openSync(host, 'r');
        if (!fstatSync(fd).isFile()) {
          closeSync(fd);
          return sftp.status(reqid, STATUS_CODE.FAILURE);
        }
        sftp.handle(reqid, handleFor({ fd }));
      }),
    );
    sftp.on('READ', (reqid, handle, offset, length) =>
      guarded(reqid, () => {
        const entry = lookup(handle);
        if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
        const buffer = Buffer.alloc(Math.min(length, 64 * 1024));
        const read = readSync(entry.fd, buffer, 0, buffer.length, offset);
        if (read === 0) return sftp.status(reqid, STATUS_CODE.EOF);
        sftp.data(reqid, buffer.subarray(0, read));
      }),
    );
    sftp.on('CLOSE', (reqid, handle) =>
      guarded(reqid, () => {
        const entry = lookup(handle);
        if (!entry) return sftp.status(reqid, STATUS_CODE.FAILURE);
        handles.delete(handle.readUInt32BE(0));
        if (entry.fd !== undefined) closeSync(entry.fd);
        sftp.status(reqid, STATUS_CODE.OK);
      }),
    );
    sftp.on('close', () => {
      for (const entry of handles.values()) if (entry.fd !== undefined) closeSync(entry.fd);
      handles.clear();
    });
  }
}
