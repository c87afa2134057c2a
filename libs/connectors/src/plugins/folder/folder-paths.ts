import type { Dir, Stats } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/** True when `path` is `root` or below it; both must already be absolute and resolved. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The comma-separated roots of FOLDER_ALLOWED_ROOTS, as given (not yet resolved). */
export function allowedRoots(setting: string | undefined): string[] {
  return (setting ?? '')
    .split(',')
    .map((root) => root.trim())
    .filter((root) => root.length > 0);
}

/**
 * Turns a glob such as `*.csv` or `reports/*.json` into a matcher (`*` and `?` stay within one
 * directory, `**` crosses them). A pattern without `/` matches the base name at any depth; one
 * with `/` matches the path from the root.
 * Case-insensitive, since `*.csv` is meant to catch `EXPORT.CSV` too.
 */
export function globMatcher(pattern: string): (relativePath: string) => boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(`^${source}$`, 'i');
  const onName = !pattern.includes('/');
  return (relativePath) => regex.test(onName ? relativePath.slice(relativePath.lastIndexOf('/') + 1) : relativePath);
}

/** One regular file found under a root. */
export interface WalkedFile {
  /** Path from the root with `/` separators. */
  relativePath: string;
  stats: Stats;
}

export interface WalkOptions {
  recursive: boolean;
  matches: (relativePath: string) => boolean;
  signal: AbortSignal;
  /** Told about directories that could not be read; the walk goes on without them. */
  onSkip?: (relativePath: string, reason: string) => void;
}

/**
 * Regular files under `root`, depth first, one directory handle open at a time and no directory
 * ever read whole into memory.
 *
 * Symbolic links: a link to a file counts when its target is inside the root, under the link's
 * own path. Links to directories are never followed, even inside the root: what they point to
 * is reached at its real place anyway, and following them invites cycles. Sockets, FIFOs and
 * devices are skipped (opening a FIFO would block the read forever).
 */
export async function* walkFiles(root: string, options: WalkOptions): AsyncGenerator<WalkedFile> {
  const pending: string[] = [''];
  while (pending.length > 0) {
    const directory = pending.pop()!;
    let handle: Dir;
    try {
      const path = join(root, directory);
      // The entry was a real folder when listed; if it has since become a link out, skip it.
      if (directory && !isInside(root, await realpath(path))) continue;
      handle = await opendir(path);
    } catch (error) {
      options.onSkip?.(directory, (error as NodeJS.ErrnoException).code ?? 'unreadable');
      continue;
    }
    for await (const entry of handle) {
      options.signal.throwIfAborted();
      const relativePath = directory ? `${directory}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (options.recursive) pending.push(relativePath);
        continue;
      }
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      if (!options.matches(relativePath)) continue;
      const stats = await fileStats(root, join(root, relativePath), entry.isSymbolicLink());
      if (stats) yield { relativePath, stats };
    }
  }
}

async function fileStats(root: string, path: string, link: boolean): Promise<Stats | null> {
  try {
    if (link && !isInside(root, await realpath(path))) return null;
    const stats = await stat(path);
    return stats.isFile() ? stats : null;
  } catch {
    // Dangling link, or removed between listing and stat: nothing to report.
    return null;
  }
}
