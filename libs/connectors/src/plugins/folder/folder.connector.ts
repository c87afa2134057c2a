import { overlaps, realOrLexical, rootsForTenant, EnvDto, DomainError, type FieldProblem } from '@sluice/core';
import * as mime from 'mime-types';
import { constants, realpathSync, statSync } from 'node:fs';
import { open, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type {
  ByteRange,
  ConfigScope,
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { assertByteRange } from '../../files/byte-range';
import { FILE_SELECTION_PROPERTIES, parseFileSelection } from '../../files/file-selection';
import { allowedRoots, globMatcher, isInside, walkFiles, type WalkedFile } from './folder-paths';

/** Configuration of a server-folder connector, as parseConfig returns it. */
export interface FolderConfig {
  /** The folder's real path (symbolic links resolved), inside one of FOLDER_ALLOWED_ROOTS. */
  path: string;
  recursive: boolean;
  include: string[];
  maxFiles: number;
}

/**
 * Batches start small and double up to the largest: the first documents (and a stop) land
 * quickly, while a large folder is stored in few transactions, each with a fixed cost (the run's
 * lock, its progress, the commit) that 500-file batches paid two hundred times per 100,000 files.
 */
export const FOLDER_FIRST_BATCH_SIZE = 500;
export const FOLDER_BATCH_SIZE = 4000;
/** How far `test` walks: enough to prove access and give a feel for the size, bounded in time. */
const TEST_MAX_FILES = 10_000;

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['path'],
  additionalProperties: false,
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      description: 'Absolute path of a folder on the server, inside FOLDER_ALLOWED_ROOTS',
    },
    ...FILE_SELECTION_PROPERTIES,
  },
};

const problem = (field: string, message: string): ConnectorConfigError =>
  new ConnectorConfigError([{ field: `config.${field}`, messages: [message] }]);

/** A message safe to show: field problems spelled out, other internals hidden. */
function probeMessage(error: unknown): string {
  if (error instanceof ConnectorConfigError) {
    return (error.details as FieldProblem[]).map((p) => `${p.field} ${p.messages.join('; ')}`).join('; ');
  }
  return error instanceof DomainError ? error.message : 'The folder could not be read';
}

const outside = (): ConnectorRequestError =>
  new ConnectorRequestError('PATH_OUTSIDE_FOLDER', 'The path leads outside the connector folder');
const notFound = (): ConnectorRequestError =>
  new ConnectorRequestError('FILE_NOT_FOUND', 'No such file in the connector folder');

/**
 * A folder on the server's own disk (or a volume mounted there). Only folders under
 * FOLDER_ALLOWED_ROOTS are accepted, judged on real paths so a symbolic link cannot smuggle
 * `/etc` in; every read checks again, since the folder's content can change after the check.
 */
@ConnectorPlugin({
  type: 'folder',
  category: 'files',
  displayName: 'Server folder',
  description: 'Files in a folder on the server, limited to the roots an administrator allowed.',
  readiness: 'ready',
  capabilities: ['test', 'discover', 'read'],
  destinationFields: ['path'],
})
export class FolderConnector implements ConnectorPluginContract<FolderConfig> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema: JsonSchema = { type: 'object', additionalProperties: false, properties: {} };

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, _auth: Record<string, unknown>, scope?: ConfigScope): FolderConfig {
    const { path } = config;
    if (typeof path !== 'string' || path.length === 0) throw problem('path', 'is required');
    const selection = parseFileSelection(config);
    return { path: this.resolveRoot(path, scope?.tenantId), ...selection };
  }

  async test(ctx: ConnectorContext<FolderConfig>): Promise<ProbeOutcome> {
    try {
      const root = this.resolveRoot(ctx.config.path, ctx.tenantId);
      const limit = Math.min(ctx.config.maxFiles, TEST_MAX_FILES);
      let files = 0;
      let totalBytes = 0;
      for await (const file of this.walk(ctx, root)) {
        if (files === limit) {
          return this.found(files, totalBytes, true);
        }
        files++;
        totalBytes += file.stats.size;
      }
      return this.found(files, totalBytes, false);
    } catch (error) {
      return { success: false, message: probeMessage(error), details: {} };
    }
  }

  /**
   * The walk in batches, one batch read ahead: while the sync stores a batch, the walk already
   * lists and stats the next, so the disk and the database work at the same time. Safe here since
   * a folder is a snapshot source: nothing is acknowledged to it when a batch is taken.
   */
  async *discover(ctx: ConnectorContext<FolderConfig>): AsyncIterable<DiscoveredItem[]> {
    const batches = this.batches(ctx);
    let next = batches.next();
    try {
      for (;;) {
        const current = await next;
        if (current.done) return;
        next = batches.next();
        // Awaited on the next turn; a walk that fails after the caller stopped must not go unhandled.
        next.catch(() => undefined);
        yield current.value;
      }
    } finally {
      // Waits for a read-ahead still under way, then closes the folder handle it holds.
      await batches.return(undefined).catch(() => undefined);
    }
  }

  private async *batches(ctx: ConnectorContext<FolderConfig>): AsyncGenerator<DiscoveredItem[]> {
    const root = this.resolveRoot(ctx.config.path, ctx.tenantId);
    let batch: DiscoveredItem[] = [];
    let size = FOLDER_FIRST_BATCH_SIZE;
    let count = 0;
    for await (const file of this.walk(ctx, root)) {
      if (count === ctx.config.maxFiles) {
        ctx.logger.warn(`Folder holds more than maxFiles (${ctx.config.maxFiles}) files; the rest are left out`);
        break;
      }
      count++;
      batch.push(this.toItem(file));
      if (batch.length === size) {
        yield batch;
        batch = [];
        size = Math.min(size * 2, FOLDER_BATCH_SIZE);
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Streams one file; `range.end` is inclusive. `item.externalId` is the path from the root. */
  async read(
    ctx: ConnectorContext<FolderConfig>,
    item: Pick<DiscoveredItem, 'externalId' | 'path'>,
    range: ByteRange = {},
  ): Promise<Readable> {
    const { start, end } = range;
    assertByteRange(range);
    const root = this.resolveRoot(ctx.config.path, ctx.tenantId);
    const real = await this.realPathInside(root, item.externalId);
    if (real === null) throw notFound();

    // O_NONBLOCK: if the file was swapped for a FIFO since realpath, open must not hang on it.
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => {
      throw notFound();
    });
    try {
      if (!(await handle.stat()).isFile()) throw notFound();
      // realpath and open are two steps; where /proc exists, confirm what was actually opened.
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
      if (opened !== null && !isInside(root, opened)) throw outside();
    } catch (error) {
      await handle.close();
      throw error;
    }
    return handle.createReadStream({ start, end });
  }

  /** The file again, for a one-document sync: null when it is gone or no longer matches the settings. */
  async lookup(ctx: ConnectorContext<FolderConfig>, externalId: string): Promise<DiscoveredItem | null> {
    const root = this.resolveRoot(ctx.config.path, ctx.tenantId);
    const real = await this.realPathInside(root, externalId);
    if (real === null) return null;
    if (!ctx.config.recursive && externalId.includes('/')) return null;
    const matchers = ctx.config.include.map(globMatcher);
    if (matchers.length > 0 && !matchers.some((matches) => matches(externalId))) return null;
    const stats = await stat(real).catch(() => null);
    if (!stats?.isFile()) return null;
    return this.toItem({ relativePath: externalId, stats });
  }

  /** Where a path from the root really leads: null when nothing is there; refused when it leads outside. */
  private async realPathInside(root: string, wanted: string): Promise<string | null> {
    if (typeof wanted !== 'string' || wanted === '' || wanted.includes('\0') || isAbsolute(wanted)) throw outside();
    const lexical = resolve(root, wanted);
    if (!isInside(root, lexical)) throw outside();
    const real = await realpath(lexical).catch(() => null);
    if (real !== null && !isInside(root, real)) throw outside();
    return real;
  }

  private walk(ctx: ConnectorContext<FolderConfig>, root: string): AsyncGenerator<WalkedFile> {
    const matchers = ctx.config.include.map(globMatcher);
    return walkFiles(root, {
      recursive: ctx.config.recursive,
      matches: matchers.length === 0 ? () => true : (path) => matchers.some((matches) => matches(path)),
      signal: ctx.signal,
      onSkip: (path, reason) => ctx.logger.warn(`Skipped unreadable folder "${path}" (${reason})`),
    });
  }

  private found(files: number, totalBytes: number, truncated: boolean): ProbeOutcome {
    const count = truncated ? `more than ${files}` : String(files);
    return {
      success: true,
      message: `Folder is readable: ${count} matching files`,
      details: { files, totalBytes, ...(truncated ? { truncated } : {}) },
    };
  }

  private toItem({ relativePath, stats }: WalkedFile): DiscoveredItem {
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    return {
      externalId: relativePath,
      kind: 'file',
      name,
      path: relativePath,
      mimeType: mime.lookup(name) || undefined,
      size: stats.size,
      checksum: `${stats.mtimeMs}-${stats.size}`,
      modifiedAt: stats.mtime,
    };
  }

  /**
   * The real path of `path` if it is a folder inside one of the tenant's allowed roots. The root
   * is checked before the file system is asked anything, so every path outside the roots gets
   * the same answer whether it exists or not; then again on the real path, so a symbolic link
   * cannot lead out. Run on every call, not only when the config is saved: the folder may since
   * have been replaced by a link elsewhere.
   */
  private resolveRoot(path: string, tenantId: string | undefined): string {
    if (allowedRoots(this.env.FOLDER_ALLOWED_ROOTS).length === 0) {
      throw problem('path', 'cannot be used: server folders are disabled until FOLDER_ALLOWED_ROOTS is set');
    }
    if (!isAbsolute(path)) throw problem('path', 'must be an absolute path');
    const outsideRoots = () =>
      problem('path', 'is outside the allowed roots; add its root to FOLDER_ALLOWED_ROOTS to allow it');
    const roots = rootsForTenant(this.env.FOLDER_ALLOWED_ROOTS, tenantId);
    const realRoots = roots.flatMap((root) => {
      try {
        return [realpathSync(root)];
      } catch {
        return [];
      }
    });
    const lexical = resolve(path);
    if (![...roots, ...realRoots].some((root) => isInside(root, lexical))) throw outsideRoots();
    let real: string;
    try {
      real = realpathSync(lexical);
    } catch {
      throw problem('path', 'does not exist or cannot be read by the server');
    }
    if (!realRoots.some((root) => isInside(root, real))) throw outsideRoots();
    if (overlaps(real, realOrLexical(this.env.STORAGE_DIR))) {
      throw problem('path', 'must not overlap STORAGE_DIR, where uploaded files are kept');
    }
    if (!statSync(real).isDirectory()) throw problem('path', 'is not a folder');
    return real;
  }
}
