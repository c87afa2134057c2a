import { randomBytes } from 'node:crypto';
import { parseKey, parseKeyList, SecretBox, SecretBoxError, SecretKey } from './secret-box';

const k1: SecretKey = { id: 'k1', key: randomBytes(32) };
const k2: SecretKey = { id: 'k2', key: randomBytes(32) };

function readFailure(action: () => unknown): SecretBoxError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretBoxError);
    return error as SecretBoxError;
  }
  throw new Error('expected a SecretBoxError');
}

// Flips one bit inside a decoded part so the change is real, not just a
// different spelling of the same bytes.
function tamper(sealed: string, index: number, byte = 0): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index], 'base64url');
  bytes[byte] ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  const box = new SecretBox(k1);

  describe('round trip', () => {
    it.each([
      ['ascii', 'postgres-password'],
      ['empty', ''],
      ['unicode', 'pässwörd 🔑 ключ 鍵'],
      ['long', 'x'.repeat(100_000)],
      ['dots', 'a.b.c.d.e'],
    ])('%s string', (_label, plaintext) => {
      expect(box.open(box.seal(plaintext))).toBe(plaintext);
      expect(box.open(box.seal(plaintext, 'tenant-1'), 'tenant-1')).toBe(plaintext);
    });

    it.each([
      ['object', { user: 'app', password: 's3cr3t', port: 5432, tls: { ca: 'line\nline' } }],
      ['array', [1, 'two', null, { three: 3 }]],
      ['empty object', {}],
      ['string', 'plain'],
      ['number', 42],
      ['null', null],
    ])('%s as JSON', (_label, value) => {
      expect(box.openJson(box.sealJson(value, 'tenant-1'), 'tenant-1')).toEqual(value);
    });

    it('refuses to seal something JSON cannot hold', () => {
      expect(() => box.sealJson(undefined)).toThrow(TypeError);
    });
  });

  describe('sealed format', () => {
    it('is v1.<keyId>.<iv>.<tag>.<ciphertext> in base64url', () => {
      const sealed = box.seal('hello');
      expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
      const [, , iv, tag] = sealed.split('.');
      expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
      expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    });

    it('uses a fresh IV each time', () => {
      const first = box.seal('same text');
      const second = box.seal('same text');
      expect(first).not.toBe(second);
      expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    });

    it('does not contain the plaintext', () => {
      const plaintext = 'correct-horse-battery-staple';
      const sealed = box.seal(plaintext);
      expect(sealed).not.toContain(plaintext);
      expect(sealed).not.toContain(Buffer.from(plaintext).toString('base64url'));
      expect(box.sealJson({ password: plaintext })).not.toContain('password');
    });
  });

  describe('refuses', () => {
    const sealed = box.seal('top secret', 'tenant-1');

    it.each([
      ['iv', 2],
      ['tag', 3],
      ['ciphertext', 4],
    ])('a flipped byte in the %s', (_label, index) => {
      for (const byte of [0, 5]) {
        readFailure(() => box.open(tamper(sealed, index, byte), 'tenant-1'));
      }
    });

    it.each([
      ['another tenant', 'tenant-2'],
      ['no context', undefined],
      ['an empty context', ''],
    ])('opening with %s', (_label, context) => {
      readFailure(() => box.open(sealed, context));
    });

    it('opening with a context when none was sealed', () => {
      readFailure(() => box.open(box.seal('x'), ''));
    });

    it.each([
      ['empty', ''],
      ['garbage', 'not a secret'],
      ['plain JSON', '{"password":"x"}'],
      ['truncated', sealed.slice(0, sealed.length - 4)],
      ['missing part', sealed.split('.').slice(0, 4).join('.')],
      ['extra part', `${sealed}.AAAA`],
      ['other version', sealed.replace(/^v1/, 'v2')],
      ['short iv', sealed.replace(sealed.split('.')[2], 'AAAA')],
      ['short tag', sealed.replace(sealed.split('.')[3], 'AAAA')],
      ['non-base64 ciphertext', `${sealed.split('.').slice(0, 4).join('.')}.@@@`],
      ['padded base64', `${sealed}=`],
      ['bad key id', sealed.replace('.k1.', '.k 1.')],
    ])('%s input', (_label, input) => {
      const error = readFailure(() => box.open(input, 'tenant-1'));
      expect(error.code).toBe('SECRET_UNREADABLE');
      expect(error.message).not.toContain('top secret');
    });

    it.each([null, undefined, 42, {}])('a non-string %p', (input) => {
      readFailure(() => box.open(input as unknown as string));
    });

    it('ciphertext moved under a different key id', () => {
      const both = new SecretBox(k2, [k1]);
      readFailure(() => both.open(sealed.replace('.k1.', '.k2.'), 'tenant-1'));
    });

    it('an unknown key id, naming it and where to add it', () => {
      const error = readFailure(() => new SecretBox(k2).open(sealed, 'tenant-1'));
      expect(error.message).toContain('"k1"');
      expect(error.message).toContain('ENCRYPTION_OLD_KEYS');
    });
  });

  describe('error messages', () => {
    it('never carry key material or plaintext', () => {
      const sealed = box.seal('hunter2', 'tenant-1');
      const messages = [
        readFailure(() => box.open(sealed, 'tenant-2')).message,
        readFailure(() => box.open(tamper(sealed, 4))).message,
        readFailure(() => new SecretBox(k2).open(sealed)).message,
      ];
      for (const message of messages) {
        expect(message).not.toContain('hunter2');
        expect(message).not.toContain(k1.key.toString('hex'));
        expect(message).not.toContain(k1.key.toString('base64'));
      }
    });
  });

  describe('key rotation', () => {
    const oldBox = new SecretBox(k1);
    const sealedOld = oldBox.seal('rotate me', 'tenant-1');
    const rotated = new SecretBox(k2, [k1]);

    it('still opens data sealed under a previous key', () => {
      expect(rotated.open(sealedOld, 'tenant-1')).toBe('rotate me');
    });

    it('seals new data under the current key', () => {
      expect(rotated.seal('new').split('.')[1]).toBe('k2');
    });

    it('reports and performs rotation', () => {
      expect(rotated.needsRotation(sealedOld)).toBe(true);
      const resealed = rotated.rotate(sealedOld, 'tenant-1');
      expect(resealed.split('.')[1]).toBe('k2');
      expect(rotated.needsRotation(resealed)).toBe(false);
      expect(rotated.open(resealed, 'tenant-1')).toBe('rotate me');
      expect(new SecretBox(k2).open(resealed, 'tenant-1')).toBe('rotate me');
    });

    it('keeps the context when rotating', () => {
      readFailure(() => rotated.rotate(sealedOld, 'tenant-2'));
      readFailure(() => rotated.open(rotated.rotate(sealedOld, 'tenant-1'), 'tenant-2'));
    });

    it('treats malformed input as unreadable when asked about rotation', () => {
      readFailure(() => rotated.needsRotation('garbage'));
    });

    it('reports a value under an unconfigured key as needing rotation', () => {
      expect(new SecretBox(k2).needsRotation(sealedOld)).toBe(true);
    });
  });

  describe('construction', () => {
    it.each([
      ['current repeated in previous', () => new SecretBox(k1, [k1])],
      ['same id, different key', () => new SecretBox(k1, [k2, { id: 'k1', key: randomBytes(32) }])],
      ['repeated previous', () => new SecretBox(k1, [k2, k2])],
    ])('refuses duplicate key ids: %s', (_label, build) => {
      expect(build).toThrow(/"k1"|"k2"/);
    });

    it.each([
      ['16-byte key', { id: 'k', key: randomBytes(16) }],
      ['id with a dot', { id: 'k.1', key: randomBytes(32) }],
      ['empty id', { id: '', key: randomBytes(32) }],
    ])('refuses a %s', (_label, key) => {
      expect(() => new SecretBox(key)).toThrow();
    });

    it('is not affected by later changes to the caller’s key buffer', () => {
      const key = Buffer.from(k1.key);
      const own = new SecretBox({ id: 'k1', key });
      const sealed = own.seal('stable');
      key.fill(0);
      expect(own.open(sealed)).toBe('stable');
      expect(box.open(sealed)).toBe('stable');
    });
  });
});

describe('parseKey', () => {
  const raw = randomBytes(32);

  it.each([
    ['hex', raw.toString('hex')],
    ['upper-case hex', raw.toString('hex').toUpperCase()],
    ['base64', raw.toString('base64')],
    ['base64url', raw.toString('base64url') + '='],
    ['padded with spaces', `  ${raw.toString('hex')}\n`],
  ])('accepts %s', (_label, text) => {
    expect(parseKey(text).equals(raw)).toBe(true);
  });

  it.each([
    ['a 16-byte hex key', randomBytes(16).toString('hex')],
    ['a 16-byte base64 key', randomBytes(16).toString('base64')],
    ['a 33-byte key', randomBytes(33).toString('base64')],
    ['unpadded base64', raw.toString('base64').replace('=', '')],
    ['garbage', 'not-a-key'],
    ['hex with a stray character', `${raw.toString('hex').slice(0, 63)}g`],
    ['empty', ''],
  ])('rejects %s without echoing it', (_label, text) => {
    expect(() => parseKey(text)).toThrow(/32 bytes/);
    try {
      parseKey(text);
    } catch (error) {
      if (text) expect((error as Error).message).not.toContain(text);
    }
  });
});

describe('parseKeyList', () => {
  const a = randomBytes(32);
  const b = randomBytes(32);

  it.each([undefined, '', ' , '])('reads %p as no keys', (text) => {
    expect(parseKeyList(text)).toEqual([]);
  });

  it('reads id:key pairs in order, hex or base64', () => {
    const keys = parseKeyList(` old1:${a.toString('hex')} , ,old2:${b.toString('base64')}`);
    expect(keys.map((k) => k.id)).toEqual(['old1', 'old2']);
    expect(keys[0].key.equals(a)).toBe(true);
    expect(keys[1].key.equals(b)).toBe(true);
  });

  it.each([
    ['missing id', `:${a.toString('hex')}`],
    ['missing colon', a.toString('hex')],
    ['bad key', 'old1:short'],
    ['id with a dot', `o.1:${a.toString('hex')}`],
    ['duplicate id', `x:${a.toString('hex')},x:${b.toString('hex')}`],
  ])('rejects %s', (_label, text) => {
    expect(() => parseKeyList(text)).toThrow();
    try {
      parseKeyList(text);
    } catch (error) {
      expect((error as Error).message).not.toContain(a.toString('hex'));
    }
  });

  it('builds a box that opens what an old key sealed', () => {
    const [old] = parseKeyList(`old:${a.toString('hex')}`);
    const sealed = new SecretBox(old).seal('v', 'ctx');
    expect(new SecretBox({ id: 'new', key: b }, parseKeyList(`old:${a.toString('base64')}`)).open(sealed, 'ctx')).toBe(
      'v',
    );
  });
});
