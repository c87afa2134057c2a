import { randomBytes } from 'node:crypto';

/** Prefixes of public ids: the type of a resource can be read off its id. */
export const ID_PREFIX = {
  tenant: 'ten',
  user: 'usr',
  apiKey: 'key',
  invitation: 'inv',
  refreshToken: 'rtk',
  connector: 'conn',
  document: 'doc',
  run: 'run',
  example: 'ex',
  history: 'hist',
  annotation: 'ann',
  request: 'req',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Random lower-case alphanumerics; rejection sampling keeps every character equally likely. */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 252) out += ALPHABET[byte % 36];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new id such as `conn_4k2x9q0m1v7b3n8c` (16 characters, about 82 bits of randomness). */
export function newId(kind: IdKind): string {
  return `${ID_PREFIX[kind]}_${randomAlphanumeric(16)}`;
}

/**
 * `count` new ids of one kind, as {@link newId} makes them, from one draw of random bytes: a sync
 * names thousands of documents per batch, and a call into the random source for each one cost a
 * 100,000-file sync close to a second of the worker's time on a loaded machine.
 */
export function newIds(kind: IdKind, count: number): string[] {
  const prefix = `${ID_PREFIX[kind]}_`;
  const ids: string[] = [];
  let id = '';
  while (ids.length < count) {
    for (const byte of randomBytes((count - ids.length) * 20)) {
      if (byte >= 252) continue;
      id += ALPHABET[byte % 36];
      if (id.length < 16) continue;
      ids.push(prefix + id);
      id = '';
      if (ids.length === count) break;
    }
  }
  return ids;
}

/** True when `value` has the shape of an id of this kind; cheap input check before a query. */
export function isId(kind: IdKind, value: string): boolean {
  return new RegExp(`^${ID_PREFIX[kind]}_[0-9a-z]{12,32}$`).test(value);
}
