import { randomBytes } from 'node:crypto';
import { SafeNetworkError } from '../network/safe-network';
import { SafeNetwork } from '../network/safe-network';
import { loadEnv } from './load-env';
import { secretBoxFromEnv } from './security.providers';

const base = { JWT_SECRET: 'j'.repeat(40) };

describe('security providers built from the environment', () => {
  it('keeps secrets sealed under a rotated-out key readable when it is listed in ENCRYPTION_OLD_KEYS', () => {
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('hex');
    const before = secretBoxFromEnv(loadEnv({ ...base, ENCRYPTION_KEY: oldKey, ENCRYPTION_KEY_ID: 'k1' }));
    const sealed = before.seal('db-password', 'ten_a');

    const after = secretBoxFromEnv(
      loadEnv({ ...base, ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_ID: 'k2', ENCRYPTION_OLD_KEYS: `k1:${oldKey}` }),
    );
    expect(after.open(sealed, 'ten_a')).toBe('db-password');
    expect(after.needsRotation(sealed)).toBe(true);
    expect(after.needsRotation(after.rotate(sealed, 'ten_a'))).toBe(false);

    const forgotten = secretBoxFromEnv(loadEnv({ ...base, ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_ID: 'k2' }));
    expect(() => forgotten.open(sealed, 'ten_a')).toThrow(/k1/);
  });

  it('refuses loopback by default and allows what SAFE_NETWORK_ALLOW names', async () => {
    const strict = new SafeNetwork(loadEnv({ ...base, ENCRYPTION_KEY: '0'.repeat(64) }).SAFE_NETWORK_ALLOW);
    await expect(strict.resolve('127.0.0.1')).rejects.toBeInstanceOf(SafeNetworkError);
    const open = new SafeNetwork(
      loadEnv({ ...base, ENCRYPTION_KEY: '0'.repeat(64), SAFE_NETWORK_ALLOW: '127.0.0.1' }).SAFE_NETWORK_ALLOW,
    );
    await expect(open.resolve('127.0.0.1')).resolves.toMatchObject({ address: '127.0.0.1', family: 4 });
  });
});
