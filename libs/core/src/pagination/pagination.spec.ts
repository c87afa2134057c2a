import { BadRequestError } from '../errors/domain-error';
import { decodeCursor, encodeCursor, Keyset, Page, toPage } from './pagination';

interface Row {
  id: string;
  createdAt: Date;
  name: string;
}

function rows(count: number): Row[] {
  const start = Date.UTC(2026, 0, 31, 12, 0, 0);
  // Newest first, one minute apart, as the repositories fetch them.
  return Array.from({ length: count }, (_, i) => ({
    id: `conn_${String(i).padStart(16, '0')}`,
    createdAt: new Date(start - i * 60_000),
    name: `connector ${i}`,
  }));
}

function cursorFailure(cursor: string): BadRequestError {
  try {
    decodeCursor(cursor);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return error as BadRequestError;
  }
  throw new Error(`expected ${JSON.stringify(cursor)} to be refused`);
}

const b64 = (text: string): string => Buffer.from(text).toString('base64url');

describe('cursors', () => {
  it.each<[string, Keyset]>([
    ['an ordinary key', { createdAt: new Date('2026-11-22T12:00:00.000Z'), id: 'usr_4k2x9q0m1v7b3n8c' }],
    ['millisecond precision', { createdAt: new Date('2026-01-01T00:00:00.123Z'), id: 'doc_0000000000000001' }],
    ['the epoch', { createdAt: new Date(0), id: 'ex_aaaaaaaaaaaaaaaa' }],
    ['an id with odd characters', { createdAt: new Date('2025-06-01T08:30:00Z'), id: 'a"b\\c/é' }],
  ])('round-trips %s', (_label, key) => {
    const decoded = decodeCursor(encodeCursor(key));
    expect(decoded?.id).toBe(key.id);
    expect(decoded?.createdAt.getTime()).toBe(key.createdAt.getTime());
  });

  it('is safe to put in a query string unescaped', () => {
    const cursor = encodeCursor({ createdAt: new Date('2026-11-22T12:00:00.000Z'), id: '??>>~~'.repeat(10) });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([[undefined], ['']])('treats %p as the first page', (cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });

  it.each([
    ['garbage', '!!!not-a-cursor!!!'],
    ['base64 of plain text', b64('hello world')],
    ['base64 of half a JSON object', b64('{"t":"2026-01-01T00:00:00Z","i":')],
    ['JSON without fields', b64('{}')],
    ['JSON null', b64('null')],
    ['a JSON number', b64('42')],
    ['a JSON array', b64('["2026-01-01T00:00:00Z","usr_1"]')],
    ['a missing id', b64('{"t":"2026-01-01T00:00:00Z"}')],
    ['a missing time', b64('{"i":"usr_1"}')],
    ['a numeric id', b64('{"t":"2026-01-01T00:00:00Z","i":5}')],
    ['a time that is not a date', b64('{"t":"yesterday","i":"usr_1"}')],
    ['a SQL injection attempt', b64('{"t":"2026-01-01\' OR 1=1 --","i":"x"}')],
  ])('refuses %s with INVALID_CURSOR', (_label, cursor) => {
    const error = cursorFailure(cursor);
    expect(error.code).toBe('INVALID_CURSOR');
    expect(error.status).toBe(400);
  });
});

describe('toPage', () => {
  const toName = (row: Row): string => row.name;

  it.each([[1], [5], [20], [100]])('with limit %p and one row more: hasMore and a cursor to the last item', (limit) => {
    const fetched = rows(limit + 1);
    const page = toPage(fetched, 500, limit, toName);

    expect(page.data).toHaveLength(limit);
    expect(page.data).toEqual(fetched.slice(0, limit).map(toName));
    expect(page.pagination).toMatchObject({ total: 500, limit, hasMore: true });

    const next = decodeCursor(page.pagination.nextCursor!);
    const lastReturned = fetched[limit - 1];
    expect(next?.id).toBe(lastReturned.id);
    expect(next?.createdAt.getTime()).toBe(lastReturned.createdAt.getTime());
  });

  it.each([
    [0, 20],
    [1, 20],
    [19, 20],
    [20, 20],
    [1, 1],
  ])('with %p rows and limit %p: the last page', (count, limit) => {
    const fetched = rows(count);
    const page = toPage(fetched, count, limit, toName);
    expect(page.data).toEqual(fetched.map(toName));
    expect(page.pagination).toEqual({ total: count, limit, hasMore: false, nextCursor: null });
  });

  it('never returns the extra row, even when it is the only difference', () => {
    const fetched = rows(3);
    const page = toPage(fetched, 3, 2, (row) => row.id);
    expect(page.data).not.toContain(fetched[2].id);
  });

  it('reports the total it was given, not the page size', () => {
    expect(toPage(rows(3), 1234, 2, toName).pagination.total).toBe(1234);
  });

  it('builds the cursor with a custom keyOf', () => {
    const events = [
      { eventId: 'run_a', at: '2026-03-01T10:00:00.000Z' },
      { eventId: 'run_b', at: '2026-03-01T09:00:00.000Z' },
      { eventId: 'run_c', at: '2026-03-01T08:00:00.000Z' },
    ];
    const keyOf = jest.fn((e: (typeof events)[number]) => ({ createdAt: new Date(e.at), id: e.eventId }));
    const page = toPage(events, 3, 2, (e) => e.eventId, keyOf);

    expect(page.data).toEqual(['run_a', 'run_b']);
    expect(decodeCursor(page.pagination.nextCursor!)).toEqual({
      createdAt: new Date('2026-03-01T09:00:00.000Z'),
      id: 'run_b',
    });
    expect(keyOf).toHaveBeenCalledWith(events[1]);
  });

  it('lets a caller walk every row exactly once, page by page', () => {
    const all = rows(47);
    const fetchAfter = (cursor: string | null, limit: number): Row[] => {
      const key = cursor ? decodeCursor(cursor) : undefined;
      const rest = key
        ? all.filter(
            (r) =>
              r.createdAt.getTime() < key.createdAt.getTime() ||
              (r.createdAt.getTime() === key.createdAt.getTime() && r.id < key.id),
          )
        : all;
      return rest.slice(0, limit + 1);
    };

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<string> = toPage(fetchAfter(cursor, 10), all.length, 10, (r) => r.id);
      seen.push(...page.data);
      cursor = page.pagination.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);

    expect(pages).toBe(5);
    expect(seen).toEqual(all.map((r) => r.id));
  });
});
