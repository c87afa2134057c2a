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

/** Wildcards (`*`, `**`, `?`) one include pattern may hold. */
export const MAX_GLOB_WILDCARDS = 16;

type GlobToken =
  | { kind: 'char'; char: string }
  /** `?`: one character other than `/`. */
  | { kind: 'one' }
  /** `*`: any run of characters other than `/`. */
  | { kind: 'star' }
  /** `**` not followed by `/`: any run of characters, `/` included. */
  | { kind: 'globstar' }
  /** `**` followed by `/`: nothing, or any run of characters ending with `/`. */
  | { kind: 'globstarDir' };

function tokenize(pattern: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  const chars = Array.from(pattern.toLowerCase());
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i];
    if (char === '*' && chars[i + 1] === '*') {
      const dir = chars[i + 2] === '/';
      tokens.push({ kind: dir ? 'globstarDir' : 'globstar' });
      i += dir ? 2 : 1;
    } else if (char === '*') tokens.push({ kind: 'star' });
    else if (char === '?') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', char });
  }
  return tokens;
}

/** How many wildcards a pattern holds (`**` counts once, with or without its slash). */
export function globWildcards(pattern: string): number {
  return tokenize(pattern).filter((t) => t.kind !== 'char').length;
}

/**
 * Turns a glob such as `*.csv` or `reports/*.json` into a matcher (`*` and `?` stay within one
 * directory, `**` crosses them). A pattern without `/` matches the base name at any depth; one
 * with `/` matches the path from the root.
 * Case-insensitive, since `*.csv` is meant to catch `EXPORT.CSV` too.
 *
 * The matcher walks the path once, carrying the set of pattern positions reached so far (an NFA
 * simulation), so its cost is at most path length × pattern length whatever the pattern: a
 * regular expression built from the glob backtracks exponentially on patterns like `*?*?*?…#`.
 */
export function globMatcher(pattern: string): (relativePath: string) => boolean {
  const tokens = tokenize(pattern);
  const size = tokens.length;
  const onName = !pattern.includes('/');

  // Positions reachable without reading a character: a wildcard may match nothing.
  const close = (reached: Uint8Array): void => {
    for (let k = 0; k < size; k++) {
      if (reached[k] && tokens[k].kind !== 'char' && tokens[k].kind !== 'one') reached[k + 1] = 1;
    }
  };

  return (relativePath) => {
    const subject = onName ? relativePath.slice(relativePath.lastIndexOf('/') + 1) : relativePath;
    let reached = new Uint8Array(size + 1);
    // Inside a `**/` that has read something: it may only end on a `/`.
    let inside = new Uint8Array(size + 1);
    let next = new Uint8Array(size + 1);
    let nextInside = new Uint8Array(size + 1);
    reached[0] = 1;
    close(reached);
    for (const char of subject.toLowerCase()) {
      next.fill(0);
      nextInside.fill(0);
      let alive = false;
      for (let k = 0; k < size; k++) {
        if (!reached[k] && !inside[k]) continue;
        const token = tokens[k];
        switch (token.kind) {
          case 'char':
            if (reached[k] && token.char === char) next[k + 1] = 1;
            break;
          case 'one':
            if (reached[k] && char !== '/') next[k + 1] = 1;
            break;
          case 'star':
            if (reached[k] && char !== '/') next[k] = 1;
            break;
          case 'globstar':
            if (reached[k]) next[k] = 1;
            break;
          case 'globstarDir':
            nextInside[k] = 1;
            if (char === '/') next[k + 1] = 1;
            break;
        }
      }
      close(next);
      for (let k = 0; k <= size && !alive; k++) alive = next[k] === 1 || nextInside[k] === 1;
      if (!alive) return false;
      [reached, next] = [next, reached];
      [inside, nextInside] = [nextInside, inside];
    }
    return reached[size] === 1;
  };
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
 * Files whose stats are asked for at once. A stat is a round trip to libuv's thread pool; one at a
 * time, a walk waits on each in turn (a 100,000-file folder took minutes on a loaded machine),
 * while a few dozen in flight keep the pool busy and bound what is held.
 */
const STAT_CONCURRENCY = 64;

/**
 * Regular files under `root`, depth first, one directory handle open at a time and no directory
 * ever read whole into memory (entries are taken in runs of {@link STAT_CONCURRENCY}, whose
 * stats are read together and yielded in listing order).
 *
 * Symbolic links: a link to a file counts when its target is inside the root, under the link's
 * own path. Links to directories are never followed, even inside the root: what they point to
 * is reached at its real place anyway, and following them invites cycles. Sockets, FIFOs and
 * devices are skipped (opening a FIFO would block the read forever).
 */
export async function* walkFiles(root: string, options: WalkOptions): AsyncGenerator<WalkedFile> {
  const pending: string[] = [''];
  const statRun = (run: Array<{ relativePath: string; link: boolean }>) =>
    Promise.all(run.map((file) => fileStats(root, join(root, file.relativePath), file.link)));
  while (pending.length > 0) {
    const directory = pending.pop()!;
    let handle: Dir;
    try {
      const path = join(root, directory);
      // The entry was a real folder when listed; if it has since become a link out, skip it.
      if (directory && !isInside(root, await realpath(path))) continue;
      handle = await opendir(path, { bufferSize: STAT_CONCURRENCY });
    } catch (error) {
      options.onSkip?.(directory, (error as NodeJS.ErrnoException).code ?? 'unreadable');
      continue;
    }
    let run: Array<{ relativePath: string; link: boolean }> = [];
    for await (const entry of handle) {
      options.signal.throwIfAborted();
      const relativePath = directory ? `${directory}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (options.recursive) pending.push(relativePath);
        continue;
      }
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      if (!options.matches(relativePath)) continue;
      run.push({ relativePath, link: entry.isSymbolicLink() });
      if (run.length < STAT_CONCURRENCY) continue;
      const stats = await statRun(run);
      for (let i = 0; i < run.length; i++) if (stats[i]) yield { relativePath: run[i].relativePath, stats: stats[i]! };
      run = [];
    }
    if (run.length === 0) continue;
    options.signal.throwIfAborted();
    const stats = await statRun(run);
    for (let i = 0; i < run.length; i++) if (stats[i]) yield { relativePath: run[i].relativePath, stats: stats[i]! };
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
