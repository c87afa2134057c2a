import { trailingLimit } from './structural-explain';

describe('trailingLimit', () => {
  it.each([
    ['SELECT 1 LIMIT 5', '5'],
    ['SELECT 1 limit 5 offset 10 ;  ', '5'],
    ['SELECT 1 LIMIT 7;\n', '7'],
    ['SELECT (SELECT 1 LIMIT 1) AS x', null],
    ['SELECT 1', null],
  ])('%j → %p', (sql, count) => {
    expect(trailingLimit(sql)?.[1] ?? null).toBe(count);
  });

  it('reads long runs of blanks in linear time', () => {
    for (const sql of [
      'SELECT 1 LIMIT 1' + ' '.repeat(100_000) + 'x',
      'SELECT 1 LIMIT 1 OFFSET 1' + ' '.repeat(100_000) + 'x',
    ]) {
      const started = performance.now();
      expect(trailingLimit(sql)).toBeNull();
      expect(performance.now() - started).toBeLessThan(200);
    }
  });
});
