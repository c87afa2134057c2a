import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ConnectorConfigError } from '../../plugin/connector-errors';

export interface SqlitePathProblem {
  /** refused: outside the allowed directories (a security refusal); the others are plain failures. */
  kind: 'refused' | 'missing' | 'unreadable';
  message: string;
}

export type SqlitePathCheck =
  { realPath: string; problem?: undefined } | { realPath?: undefined; problem: SqlitePathProblem };

const NOT_CONFIGURED =
  'reading SQLite files from the server is not enabled: set SQLITE_ALLOWED_DIRS to the directories that ' +
  'may be read, or upload the file instead';

function inside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel === '' ? false : !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The allowed directories, symlinks resolved; ones that do not exist allow nothing. */
export function allowedDirectories(setting: string | undefined): string[] {
  const dirs: string[] = [];
  for (const entry of (setting ?? '').split(',')) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    try {
      dirs.push(realpathSync(resolve(trimmed)));
    } catch {
      // A directory that is missing today cannot contain a file we would open.
    }
  }
  return dirs;
}

/**
 * Decides whether a configured path may be opened. The lexical check comes first so that a
 * refused path never touches the file system (no existence oracle for the rest of the server);
 * the real path is then checked again, so a symbolic link cannot point outside.
 */
export function checkSqlitePath(path: string, allowedSetting: string | undefined): SqlitePathCheck {
  const refused = (message: string): SqlitePathCheck => ({ problem: { kind: 'refused', message } });
  const dirs = allowedDirectories(allowedSetting);
  if (!dirs.length) return refused(NOT_CONFIGURED);
  if (typeof path !== 'string' || !isAbsolute(path)) return refused('path must be an absolute file path');
  const outside =
    'path must be inside one of the directories listed in SQLITE_ALLOWED_DIRS (symbolic links are followed)';
  const lexical = resolve(path);
  const configured = (allowedSetting ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => resolve(d));
  if (![...configured, ...dirs].some((dir) => inside(dir, lexical))) return refused(outside);
  let realPath: string;
  try {
    realPath = realpathSync(lexical);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? { problem: { kind: 'missing', message: 'no file exists at this path' } }
      : { problem: { kind: 'unreadable', message: 'the file cannot be read by the server' } };
  }
  if (!dirs.some((dir) => inside(dir, realPath))) return refused(outside);
  try {
    if (!statSync(realPath).isFile()) return { problem: { kind: 'unreadable', message: 'path is not a regular file' } };
  } catch {
    return { problem: { kind: 'unreadable', message: 'the file cannot be read by the server' } };
  }
  return { realPath };
}

/** The real path of an allowed, existing file, or a ConnectorConfigError on `config.path`. */
export function resolveSqlitePath(path: string, allowedSetting: string | undefined): string {
  const check = checkSqlitePath(path, allowedSetting);
  if (check.problem) throw new ConnectorConfigError([{ field: 'config.path', messages: [check.problem.message] }]);
  return check.realPath;
}
