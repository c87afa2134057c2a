import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * First run on a new machine: create .env from .env.example with freshly generated secrets, so
 * `npm start` works with nothing done by hand and no two installs share a key.
 */
export function ensureEnvFile(root: string): boolean {
  const target = join(root, '.env');
  const example = join(root, '.env.example');
  if (existsSync(target) || !existsSync(example)) return false;
  copyFileSync(example, target);
  const text = readFileSync(target, 'utf8')
    .replace(/^JWT_SECRET=.*$/m, `JWT_SECRET=${randomBytes(48).toString('base64url')}`)
    .replace(/^ENCRYPTION_KEY=.*$/m, `ENCRYPTION_KEY=${randomBytes(32).toString('base64')}`);
  writeFileSync(target, text, { mode: 0o600 });
  return true;
}
