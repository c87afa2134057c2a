import { chartFor } from './chart';

describe('chartFor', () => {
  it('draws a category and a number as bars', () => {
    const spec = chartFor(
      [
        { name: 'genre', type: 'varchar' },
        { name: 'tracks', type: 'bigint' },
      ],
      [
        ['Rock', '1297'],
        ['Latin', '579'],
      ],
    );
    expect(spec).toMatchObject({
      mark: 'bar',
      encoding: { x: { field: 'genre', type: 'nominal' }, y: { field: 'tracks' } },
    });
    expect((spec!.data as { values: unknown[] }).values[0]).toEqual({ genre: 'Rock', tracks: 1297 });
  });

  it('draws time and a number as a line, also when the type is unknown (SQLite)', () => {
    const spec = chartFor(
      [
        { name: 'month', type: '' },
        { name: 'total', type: '' },
      ],
      [
        ['2021-01', 35.64],
        ['2021-02', 37.62],
      ],
    );
    expect(spec).toMatchObject({ mark: { type: 'line' }, encoding: { x: { field: 'month', type: 'temporal' } } });
  });

  it('draws two numbers as a scatter, and nothing for one column or text alone', () => {
    expect(
      chartFor(
        [
          { name: 'a', type: 'int4' },
          { name: 'b', type: 'numeric' },
        ],
        [[1, 2]],
      ),
    ).toMatchObject({ mark: 'point' });
    expect(chartFor([{ name: 'a', type: 'int4' }], [[1]])).toBeNull();
    expect(
      chartFor(
        [
          { name: 'a', type: 'text' },
          { name: 'b', type: 'text' },
        ],
        [['x', 'y']],
      ),
    ).toBeNull();
    expect(
      chartFor(
        [
          { name: 'a', type: 'text' },
          { name: 'b', type: 'int4' },
        ],
        [],
      ),
    ).toBeNull();
  });
});
