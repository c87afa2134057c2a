import { ID_PREFIX, IdKind, isId, newId, newIds, randomAlphanumeric } from './ids';

const kinds = Object.keys(ID_PREFIX) as IdKind[];

describe('newId', () => {
  it.each(kinds)('%s ids carry their prefix and 16 lower-case alphanumerics', (kind) => {
    for (let i = 0; i < 50; i++) {
      expect(newId(kind)).toMatch(new RegExp(`^${ID_PREFIX[kind]}_[0-9a-z]{16}$`));
    }
  });

  it('never repeats in 10,000 ids', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('connector')));
    expect(ids.size).toBe(10_000);
  });

  it('uses the whole alphabet, not a few characters', () => {
    const seen = new Set(Array.from({ length: 2_000 }, () => newId('document').slice(4)).join(''));
    expect(seen.size).toBe(36);
  });

  it('gives every kind its own prefix, so the type can be read off an id', () => {
    const prefixes = Object.values(ID_PREFIX);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});

describe('randomAlphanumeric', () => {
  it.each([[1], [16], [40], [200]])('returns exactly %p characters', (length) => {
    expect(randomAlphanumeric(length)).toMatch(new RegExp(`^[0-9a-z]{${length}}$`));
  });
});

describe('isId', () => {
  it.each(kinds)('accepts a fresh %s id', (kind) => {
    expect(isId(kind, newId(kind))).toBe(true);
  });

  it.each<[string, IdKind, string]>([
    ['another kind', 'user', newId('tenant')],
    ['a prefix that only starts the same', 'connector', 'connx_4k2x9q0m1v7b3n8c'],
    ['no prefix', 'user', '4k2x9q0m1v7b3n8c'],
    ['no underscore', 'user', 'usr4k2x9q0m1v7b3n8c'],
    ['a dash instead of the underscore', 'user', 'usr-4k2x9q0m1v7b3n8c'],
    ['upper case', 'user', 'usr_4K2X9Q0M1V7B3N8C'],
    ['an upper-case prefix', 'user', 'USR_4k2x9q0m1v7b3n8c'],
    ['SQL', 'connector', "conn_x' OR '1'='1"],
    ['a SQL comment', 'connector', 'conn_abcdefghijkl--'],
    ['a statement', 'document', 'doc_1;DROP TABLE users'],
    ['too short', 'user', 'usr_4k2x9'],
    ['only the prefix', 'user', 'usr_'],
    ['far too long', 'user', `usr_${'a'.repeat(64)}`],
    ['a trailing newline', 'user', 'usr_4k2x9q0m1v7b3n8c\n'],
    ['surrounding spaces', 'user', ' usr_4k2x9q0m1v7b3n8c '],
    ['a path', 'connector', 'conn_4k2x9q0m1v7b3n8c/../x'],
    ['the empty string', 'user', ''],
  ])('refuses %s', (_label, kind, value) => {
    expect(isId(kind, value)).toBe(false);
  });
});

describe('newIds', () => {
  it('makes as many distinct ids of the kind as asked, each shaped like newId', () => {
    const ids = newIds('document', 5000);
    expect(ids).toHaveLength(5000);
    expect(new Set(ids).size).toBe(5000);
    for (const id of ids) expect(isId('document', id) && id.length === newId('document').length).toBe(true);
    expect(newIds('run', 0)).toEqual([]);
  });
});
