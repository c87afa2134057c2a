import { allowedRoots, globMatcher, isInside } from './folder-paths';

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
});
