import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface PackageInfo {
  name: string;
  version: string;
  root: string;
}

let cached: PackageInfo | undefined;

/** Name and version from the project's package.json, found upward from this file (src or dist). */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = __dirname;
  while (dir !== dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'sluice') return (cached = { name: pkg.name, version: pkg.version ?? '0.0.0', root: dir });
    }
    dir = dirname(dir);
  }
  return (cached = { name: 'sluice', version: '0.0.0', root: process.cwd() });
}
