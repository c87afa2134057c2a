import { inspectJson } from '../validation/json-inspection';
import { JSON_MAX_MEMBERS, JSON_MAX_VALUES } from '../validation/json-inspection';
import { checkJsonBody, urlHasNul } from './json-depth';

describe('inspectJson', () => {
  it('counts objects and arrays, not brackets inside strings', () => {
    expect(inspectJson('{"a":[{"b":1}]}', 3).tooDeep).toBe(false);
    expect(inspectJson('{"a":[{"b":1}]}', 2).tooDeep).toBe(true);
    expect(inspectJson('{"a":"[[[[[[{{{{{{"}', 1).tooDeep).toBe(false);
    expect(inspectJson('{"a":"\\"[[[["}', 1).tooDeep).toBe(false);
    // A string ending in an escaped backslash ends there: what follows is structure again.
    expect(inspectJson('{"a":"x\\\\","b":{"c":{"d":1}}}', 2).tooDeep).toBe(true);
    expect(inspectJson('{"a":"x\\\\\\"{{{","b":{"c":1}}', 2).tooDeep).toBe(false);
    expect(inspectJson(`{"a":"${'y'.repeat(100_000)}\\u0000"}`, 2).hasNul).toBe(true);
  });

  it('stops early on a hostile body and handles deep input in one pass', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    expect(inspectJson(deep, 64).tooDeep).toBe(true);
    expect(inspectJson('{"a":1}'.repeat(1000), 1).tooDeep).toBe(false);
  });

  it('finds an escaped NUL inside a string, and not an escaped backslash before u0000', () => {
    expect(inspectJson('{"a":"x\\u0000y"}', 8).hasNul).toBe(true);
    expect(inspectJson('{"a":"x\\\\u0000y"}', 8).hasNul).toBe(false);
    expect(inspectJson('{"a":"\\u00001"}', 8).hasNul).toBe(true);
    expect(inspectJson('{"a":"\\u0001"}', 8).hasNul).toBe(false);
  });

  it('counts the members of each object, not of arrays nor commas inside strings', () => {
    const members = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":[1,2,3]`).join(',')}}`;
    expect(inspectJson(members(3), 8, 3).tooWide).toBe(false);
    expect(inspectJson(members(4), 8, 3).tooWide).toBe(true);
    expect(inspectJson(`{"a":${members(3)},"b":${members(3)},"c":1}`, 8, 3).tooWide).toBe(false);
    expect(inspectJson(`[${Array(100).fill('1').join(',')}]`, 8, 3).tooWide).toBe(false);
    expect(inspectJson('{"a":"x,y,z,w","b":1}', 8, 3).tooWide).toBe(false);
    expect(inspectJson(members(10_000), 8).tooWide).toBe(false);
  });

  it('counts the values of the whole text, arrays and objects alike, not commas inside strings', () => {
    expect(inspectJson(`[${Array(4).fill('1').join(',')}]`, 8, Infinity, 4).tooMany).toBe(false);
    expect(inspectJson(`[${Array(5).fill('1').join(',')}]`, 8, Infinity, 4).tooMany).toBe(true);
    // Seven commas: the limit counts values after the first of each container, at any depth.
    expect(inspectJson('{"a":[1,2,3],"b":[4,5,6],"c":{"d":1,"e":2}}', 8, Infinity, 8).tooMany).toBe(false);
    expect(inspectJson('{"a":[1,2,3],"b":[4,5,6],"c":{"d":1,"e":2}}', 8, Infinity, 7).tooMany).toBe(true);
    expect(inspectJson(`["${'x,'.repeat(100)}"]`, 8, Infinity, 4).tooMany).toBe(false);
  });

  it('raises body-parser errors the exception filter maps to 400', () => {
    expect(() => checkJsonBody(Buffer.from('[[[1]]]'), 2)).toThrow(
      expect.objectContaining({ type: 'entity.too.deep', status: 400 }),
    );
    expect(() => checkJsonBody(Buffer.from('["\\u0000"]'), 2)).toThrow(
      expect.objectContaining({ type: 'entity.nul.byte' }),
    );
    expect(() => checkJsonBody(Buffer.from('{"a":[1]}'), 2)).not.toThrow();
    const wide = `{${Array.from({ length: JSON_MAX_MEMBERS + 1 }, (_, i) => `"k${i}":1`).join(',')}}`;
    expect(() => checkJsonBody(Buffer.from(wide), 2)).toThrow(
      expect.objectContaining({ type: 'entity.too.wide', status: 400 }),
    );
    // A list as long as any the API takes passes; 80,000 short items in a 1 MB body do not.
    expect(() => checkJsonBody(Buffer.from(JSON.stringify({ ids: Array(1000).fill('doc_1') })), 2)).not.toThrow();
    const long = JSON.stringify({ config: { include: Array(80_000).fill('*') } });
    expect(() => checkJsonBody(Buffer.from(long), 4)).toThrow(
      expect.objectContaining({ type: 'entity.too.many', status: 400 }),
    );
    const many = JSON.stringify(Array.from({ length: JSON_MAX_VALUES / 2 + 1 }, () => ({ a: 1, b: 2 })));
    expect(() => checkJsonBody(Buffer.from(many), 4)).toThrow(expect.objectContaining({ type: 'entity.too.many' }));
  });
});

describe('urlHasNul', () => {
  it('spots raw and percent-encoded NULs in a path or query', () => {
    expect(urlHasNul('/api/v1/connectors/%00')).toBe(true);
    expect(urlHasNul('/api/v1/history?q=a%00b')).toBe(true);
    expect(urlHasNul('/api/v1/connectors/conn_1?q=%2500')).toBe(false);
  });
});
