import { PasswordService } from './password.service';

describe('PasswordService', () => {
  const passwords = new PasswordService();

  it('hashes with argon2id and a fresh salt: never the password, never the same twice', async () => {
    const [a, b] = await Promise.all([passwords.hash('correct horse'), passwords.hash('correct horse')]);
    expect(a).toMatch(/^\$argon2id\$/);
    expect(a).not.toContain('correct horse');
    expect(a).not.toBe(b);
  });

  it('accepts the right password and refuses a wrong one', async () => {
    const hash = await passwords.hash('correct horse');
    expect(await passwords.verify(hash, 'correct horse')).toBe(true);
    expect(await passwords.verify(hash, 'correct horsE')).toBe(false);
    expect(await passwords.verify(hash, '')).toBe(false);
  });

  it('refuses every password when there is no hash (unknown user), even the dummy one', async () => {
    expect(await passwords.verify(null, 'anything')).toBe(false);
    expect(await passwords.verify(null, 'no-such-user-dummy-password')).toBe(false);
  });

  it('refuses, without throwing, a stored hash that is not an argon2 hash', async () => {
    await expect(passwords.verify('not-a-hash', 'anything')).resolves.toBe(false);
  });
});
