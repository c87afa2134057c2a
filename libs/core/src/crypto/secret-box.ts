import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Dots separate the parts of a sealed string, so ids may not contain them.
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export class SecretBoxError extends Error {
  readonly code = 'SECRET_UNREADABLE';
  override readonly name = 'SecretBoxError';
}

export interface SecretKey {
  id: string;
  key: Buffer;
}

/**
 * Reads a 256-bit key written as 64 hex characters or as 44 base64 characters.
 * Error messages describe the shape only, never the text, because the text is
 * the key.
 */
export function parseKey(text: string): Buffer {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=$/.test(trimmed)) {
    const key = Buffer.from(trimmed, 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new Error(
    `An encryption key must be ${KEY_BYTES} bytes written as 64 hex characters or 44 base64 characters ` +
      `(got ${trimmed.length} characters). Generate one with: openssl rand -hex 32`,
  );
}

/** Reads `id:key,id:key`, the format of ENCRYPTION_OLD_KEYS. Blank entries are skipped. */
export function parseKeyList(text: string | undefined): SecretKey[] {
  const keys: SecretKey[] = [];
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new Error(`Key list entry ${index + 1} must be written as id:key.`);
    const id = entry.slice(0, colon).trim();
    assertKeyId(id);
    if (keys.some((known) => known.id === id))
      throw new Error(`Key id "${id}" appears more than once in the key list.`);
    keys.push({ id, key: parseKey(entry.slice(colon + 1)) });
  });
  return keys;
}

function assertKeyId(id: string): void {
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    throw new Error('A key id must be 1 to 64 characters of letters, digits, "-" or "_".');
  }
}

// Binding the version and key id as well as the caller's context means no part
// of the header can be swapped without failing authentication. JSON keeps "no
// context" distinct from an empty one.
function additionalData(keyId: string, context: string | undefined): Buffer {
  return Buffer.from(JSON.stringify([VERSION, keyId, context ?? null]), 'utf8');
}

function decode(part: string, expectedBytes?: number): Buffer | undefined {
  if (!BASE64URL.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  // Only the canonical spelling is accepted, so a sealed value has one form.
  if (bytes.toString('base64url') !== part) return undefined;
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) return undefined;
  return bytes;
}

interface Envelope {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function malformed(): SecretBoxError {
  return new SecretBoxError('The stored secret is not in a readable format; it may be corrupted or truncated.');
}

function unpack(sealed: string): Envelope {
  if (typeof sealed !== 'string') throw malformed();
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION || !KEY_ID.test(parts[1])) throw malformed();
  const iv = decode(parts[2], IV_BYTES);
  const tag = decode(parts[3], TAG_BYTES);
  const ciphertext = decode(parts[4]);
  if (!iv || !tag || !ciphertext) throw malformed();
  return { keyId: parts[1], iv, tag, ciphertext };
}

/**
 * Authenticated encryption for secrets at rest (AES-256-GCM). Each sealed value
 * records the id of its key, so old keys can stay readable while everything is
 * re-sealed under the current one.
 */
export class SecretBox {
  private readonly currentId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: SecretKey, previous: SecretKey[] = []) {
    for (const { id, key } of [current, ...previous]) {
      assertKeyId(id);
      if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
        throw new Error(`Key "${id}" must be exactly ${KEY_BYTES} bytes.`);
      }
      if (this.keys.has(id)) throw new Error(`Key id "${id}" is configured more than once.`);
      // A private copy, so a caller reusing its buffer cannot change the key.
      this.keys.set(id, Buffer.from(key));
    }
    this.currentId = current.id;
  }

  seal(plaintext: string, context?: string): string {
    if (typeof plaintext !== 'string')
      throw new TypeError('Only strings can be sealed; use sealJson for other values.');
    const keyId = this.currentId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(keyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(keyId, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, keyId, iv, tag, ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, context?: string): string {
    const { keyId, iv, tag, ciphertext } = unpack(sealed);
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretBoxError(
        `The stored secret was sealed with key "${keyId}", which is not configured. ` +
          'Add that key to ENCRYPTION_OLD_KEYS.',
      );
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      decipher.setAAD(additionalData(keyId, context));
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        `The stored secret could not be decrypted with key "${keyId}": it was altered, sealed for a ` +
          'different context, or that key id now holds a different key.',
      );
    }
  }

  sealJson(value: unknown, context?: string): string {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('The value cannot be represented as JSON.');
    return this.seal(text, context);
  }

  openJson<T = unknown>(sealed: string, context?: string): T {
    const text = this.open(sealed, context);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new SecretBoxError('The stored secret is not valid JSON.');
    }
  }

  /** True when the value was sealed under a key other than the current one. Malformed input throws. */
  needsRotation(sealed: string): boolean {
    return unpack(sealed).keyId !== this.currentId;
  }

  /** Opens with whichever key sealed the value and seals again under the current key. */
  rotate(sealed: string, context?: string): string {
    return this.seal(this.open(sealed, context), context);
  }
}
