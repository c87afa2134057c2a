import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * In FOLDER_ALLOWED_ROOTS and SQLITE_ALLOWED_DIRS, replaced by the caller's tenant id, so that
 * `/srv/sluice/{tenant}` gives every tenant a root of its own. A root without it is shared by
 * every tenant.
 */
export const TENANT_PLACEHOLDER = '{tenant}';

// Tenant ids are generated (ten_ + alphanumerics); anything else must never become a path segment.
const SAFE_TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The comma-separated entries of a roots setting, trimmed, as written. */
export function listRoots(setting: string | undefined): string[] {
  return (setting ?? '')
    .split(',')
    .map((root) => root.trim())
    .filter((root) => root.length > 0);
}

/**
 * The roots one tenant may use, absolute: `{tenant}` replaced by its id. Without a usable tenant
 * id, entries holding the placeholder allow nothing (the shared ones still apply).
 */
export function rootsForTenant(setting: string | undefined, tenantId: string | undefined): string[] {
  const tenant = tenantId !== undefined && SAFE_TENANT_ID.test(tenantId) ? tenantId : undefined;
  return listRoots(setting).flatMap((root) => {
    if (!root.includes(TENANT_PLACEHOLDER)) return [resolve(root)];
    return tenant === undefined ? [] : [resolve(root.split(TENANT_PLACEHOLDER).join(tenant))];
  });
}

/** True when `path` is `dir` itself or below it (both absolute). */
export function isWithin(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** True when one directory holds the other (or they are the same). */
export function overlaps(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}

/** The real path when it exists; else the real path of its nearest existing parent plus the rest. */
export function realOrLexical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    if (parent === absolute) return absolute;
    return resolve(realOrLexical(parent), relative(parent, absolute));
  }
}

/**
 * Entries of a roots setting that overlap STORAGE_DIR, where every tenant's uploads live: a
 * folder or SQLite root there would hand one tenant's files to another. An entry with the
 * placeholder is judged by its part before the placeholder, which every tenant's root shares.
 */
export function rootsOverlappingStorage(setting: string | undefined, storageDir: string): string[] {
  const storage = [resolve(storageDir), realOrLexical(storageDir)];
  return listRoots(setting).filter((root) => {
    const index = root.indexOf(TENANT_PLACEHOLDER);
    const fixed = index < 0 ? root : dirname(`${root.slice(0, index)}x`);
    const candidates = [resolve(fixed), realOrLexical(fixed)];
    return candidates.some((candidate) => storage.some((dir) => overlaps(candidate, dir)));
  });
}
