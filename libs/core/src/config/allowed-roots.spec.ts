import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootsForTenant, rootsOverlappingStorage } from './allowed-roots';
import { ConfigError, loadEnv } from './load-env';

describe('allowed roots', () => {
  it('gives each tenant its own root where {tenant} is written, and shares the others', () => {
    const setting = '/srv/folders/{tenant}, /srv/shared';
    expect(rootsForTenant(setting, 'ten_a')).toEqual(['/srv/folders/ten_a', '/srv/shared']);
    expect(rootsForTenant(setting, 'ten_b')).toEqual(['/srv/folders/ten_b', '/srv/shared']);
    // No tenant, or one that is not a plain id: the per-tenant roots allow nothing.
    expect(rootsForTenant(setting, undefined)).toEqual(['/srv/shared']);
    expect(rootsForTenant(setting, '../ten_a')).toEqual(['/srv/shared']);
  });

  describe('overlap with STORAGE_DIR', () => {
    let tmp: string;
    beforeEach(() => {
      tmp = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-roots-')));
      mkdirSync(join(tmp, 'storage'));
      mkdirSync(join(tmp, 'folders'));
    });
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));

    it.each([
      ['the storage directory itself', 'storage'],
      ['a directory inside it', 'storage/ten_a'],
      ['a directory holding it', '.'],
      ['a per-tenant root inside it', 'storage/{tenant}'],
      ['a per-tenant root whose shared part holds it', '{tenant}'],
      ['a link to it', 'link-to-storage'],
    ])('refuses %s', (_, root) => {
      symlinkSync(join(tmp, 'storage'), join(tmp, 'link-to-storage'));
      expect(rootsOverlappingStorage(join(tmp, root), join(tmp, 'storage'))).toEqual([join(tmp, root)]);
    });

    it('accepts roots beside it', () => {
      const setting = `${join(tmp, 'folders')},${join(tmp, 'folders', '{tenant}')},${join(tmp, 'storage-twin')}`;
      expect(rootsOverlappingStorage(setting, join(tmp, 'storage'))).toEqual([]);
    });

    it('stops the boot naming the variable', () => {
      const base = {
        JWT_SECRET: 'jwt-secret-that-is-long-enough-0123456789',
        ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      };
      const storage = join(tmp, 'storage');
      expect(() =>
        loadEnv({ ...base, STORAGE_DIR: storage, FOLDER_ALLOWED_ROOTS: join(tmp, 'folders') }),
      ).not.toThrow();
      for (const variable of ['FOLDER_ALLOWED_ROOTS', 'SQLITE_ALLOWED_DIRS']) {
        let error: unknown;
        try {
          loadEnv({ ...base, STORAGE_DIR: storage, [variable]: `${join(tmp, 'folders')},${tmp}` });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toContain(`${variable}: must not overlap STORAGE_DIR`);
      }
    });
  });
});
