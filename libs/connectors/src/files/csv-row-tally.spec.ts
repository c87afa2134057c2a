import { Readable } from 'node:stream';
import type { ConnectorContext, ConnectorPlugin, DiscoveredItem } from '../plugin/connector-plugin';
import { countCsvRows, CSV_TALLY_MAX_FILES, CsvRowTally } from './csv-row-tally';

const logger = { log: () => undefined, warn: jest.fn(), error: () => undefined };
const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));
const file = (name: string, mimeType?: string): DiscoveredItem => ({ externalId: name, kind: 'file', name, mimeType });

describe('countCsvRows', () => {
  it.each([
    ['', 0],
    ['id\n', 0],
    ['id\n1\n2\n', 2],
    ['id\n1\n2', 2],
    ['id\r\n1\r\n', 1],
  ])('counts %j as %d data rows', async (content, rows) => {
    expect(await countCsvRows(chunks(content), { bytes: 1000 })).toBe(rows);
  });

  it('counts across chunk boundaries', async () => {
    expect(await countCsvRows(chunks('id', '\n1', '\n2\n', '3'), { bytes: 1000 })).toBe(3);
  });

  it('stops reading once the byte budget is spent', async () => {
    const budget = { bytes: 5 };
    expect(await countCsvRows(chunks('id\n1\n', '2\n3\n'), budget)).toBe('over_budget');
  });
});

describe('CsvRowTally', () => {
  const ctx = { signal: new AbortController().signal } as ConnectorContext<unknown>;
  const plugin = (files: Record<string, string>): ConnectorPlugin<unknown> =>
    ({
      read: async (_ctx: unknown, item: { externalId: string }) => {
        if (!(item.externalId in files)) throw new Error('gone');
        return chunks(files[item.externalId]);
      },
    }) as unknown as ConnectorPlugin<unknown>;

  it('sums the CSV files noted (by name or type), leaving others unread', async () => {
    const tally = new CsvRowTally();
    tally.note([file('a.csv'), file('b.txt'), file('export', 'text/csv')]);
    tally.note([{ externalId: 't', kind: 'table', name: 't.csv' }]);
    const read = plugin({ 'a.csv': 'h\n1\n', export: 'h\n1\n2\n' });
    expect(await tally.count(read, ctx, logger)).toBe(3);
  });

  it('is null without CSV files, or past the file cap', async () => {
    expect(await new CsvRowTally().count(plugin({}), ctx, logger)).toBeNull();
    const many = new CsvRowTally();
    many.note(Array.from({ length: CSV_TALLY_MAX_FILES + 1 }, (_, i) => file(`f${i}.csv`)));
    expect(await many.count(plugin({}), ctx, logger)).toBeNull();
  });

  it('leaves out a file that cannot be read, with a warning', async () => {
    const tally = new CsvRowTally();
    tally.note([file('a.csv'), file('gone.csv')]);
    expect(await tally.count(plugin({ 'a.csv': 'h\n1\n' }), ctx, logger)).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('gone.csv'));
  });
});
