import { allowedRoots, globMatcher, globWildcards, isInside, MAX_GLOB_WILDCARDS } from './folder-paths';

describe('isInside', () => {
  it.each([
    ['/data', '/data', true],
    ['/data', '/data/a/b.csv', true],
    ['/data', '/data-other/x', false],
    ['/data', '/', false],
    ['/data', '/etc/passwd', false],
    ['/data', '/data/../etc', false],
    ['/data', '/data/..hidden', true],
  ])('%s contains %s: %p', (root, path, inside) => {
    expect(isInside(root, path)).toBe(inside);
  });
});

describe('allowedRoots', () => {
  it('splits and trims the comma-separated setting', () => {
    expect(allowedRoots(' /srv/data , /mnt/share,,')).toEqual(['/srv/data', '/mnt/share']);
    expect(allowedRoots(undefined)).toEqual([]);
  });
});

describe('globMatcher', () => {
  it('matches a name pattern at any depth, case-insensitively', () => {
    const csv = globMatcher('*.csv');
    expect(csv('a.csv')).toBe(true);
    expect(csv('deep/down/EXPORT.CSV')).toBe(true);
    expect(csv('a.csv.bak')).toBe(false);
    expect(csv('csv')).toBe(false);
  });

  it('matches a pattern with a folder against the path from the root', () => {
    const reports = globMatcher('reports/*.json');
    expect(reports('reports/q1.json')).toBe(true);
    expect(reports('reports/2024/q1.json')).toBe(false);
    expect(reports('other/reports/q1.json')).toBe(false);
    const anyDepth = globMatcher('reports/**/*.json');
    expect(anyDepth('reports/q1.json')).toBe(true);
    expect(anyDepth('reports/2024/01/q1.json')).toBe(true);
  });

  it('treats regex characters literally and ? as one character', () => {
    expect(globMatcher('data(1).txt')('data(1).txt')).toBe(true);
    expect(globMatcher('data.txt')('dataXtxt')).toBe(false);
    expect(globMatcher('part-?.log')('part-7.log')).toBe(true);
    expect(globMatcher('part-?.log')('part-17.log')).toBe(false);
  });

  it('lets ** cross folders, and **/ match no folder at all', () => {
    expect(globMatcher('**/*.csv')('a.csv')).toBe(true);
    expect(globMatcher('**/*.csv')('x/y/a.csv')).toBe(true);
    expect(globMatcher('data/**')('data/x/y.txt')).toBe(true);
    expect(globMatcher('data/**')('other/x/y.txt')).toBe(false);
    expect(globMatcher('a/**/b/*.txt')('a/b/c.txt')).toBe(true);
    expect(globMatcher('a/**/b/*.txt')('a/x/y/b/c.txt')).toBe(true);
    expect(globMatcher('a/**/b/*.txt')('a/xb/c.txt')).toBe(false);
    expect(globMatcher('a/**b')('a/x/b')).toBe(true);
    expect(globMatcher('*')('')).toBe(true);
    expect(globMatcher('?')('')).toBe(false);
    expect(globMatcher('r*/*.JSON')('reports/q1.json')).toBe(true);
  });
});

describe('globMatcher agrees with the regular expression it replaces', () => {
  // The former glob → RegExp translation, safe on these short inputs, as the reference.
  const reference = (pattern: string, path: string): boolean => {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const char = pattern[i];
      if (char === '*' && pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        source += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else if (char === '*') source += '[^/]*';
      else if (char === '?') source += '[^/]';
      else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    const subject = pattern.includes('/') ? path : path.slice(path.lastIndexOf('/') + 1);
    return new RegExp(`^${source}$`, 'i').test(subject);
  };
  const patterns = [
    '*.csv',
    '?',
    '*',
    '**',
    'a/*',
    'a/**',
    '**/b',
    'a/**/b',
    '*a*',
    'a?c',
    '**/*.txt',
    'x/**/y/*.t?t',
    'A*[1]',
  ];
  const paths = [
    'a',
    'b',
    'abc',
    'a.csv',
    'x/a.csv',
    'a/b',
    'a/x/b',
    'a/b/c',
    'x/y/z.txt',
    'x/q/y/f.tet',
    'a[1]',
    'cA.b',
    '',
  ];
  it.each(patterns)('%s', (pattern) => {
    for (const path of paths) expect([path, globMatcher(pattern)(path)]).toEqual([path, reference(pattern, path)]);
  });
});

describe('globMatcher on hostile patterns', () => {
  const timed = (pattern: string, path: string): number => {
    const matches = globMatcher(pattern);
    const started = performance.now();
    expect(matches(path)).toBe(false);
    return performance.now() - started;
  };

  // The pattern of the report: `*?` eleven times, then `#`, against a 35-character name.
  it.each([
    ['*?'.repeat(11) + '#', 'a'.repeat(35)],
    ['*?'.repeat(8) + '#', 'a'.repeat(4000)],
    ['*'.repeat(16) + '#', 'b'.repeat(4000)],
    ['**'.repeat(8) + '#', 'c/'.repeat(2000)],
    ['**/'.repeat(16) + '#', 'd/'.repeat(2000)],
    ['?*'.repeat(8) + 'x?', 'x'.repeat(4000) + 'y/z'],
  ])('%s against a long name answers at once', (pattern, path) => {
    expect(timed(pattern, path)).toBeLessThan(200);
  });

  it('counts wildcards, ** once', () => {
    expect(globWildcards('*.csv')).toBe(1);
    expect(globWildcards('reports/**/*.json')).toBe(2);
    expect(globWildcards('part-??.log')).toBe(2);
    expect(globWildcards('*?'.repeat(11) + '#')).toBe(22);
    expect(MAX_GLOB_WILDCARDS).toBeLessThan(22);
  });
});
