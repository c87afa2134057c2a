// The built-in dialects register when the connectors lib loads, as they do in the app.
import '@sluice/connectors';
import type { SqlDialect } from '@sluice/connectors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqlGuard } from './sql-guard';

interface Hostile {
  dialect: SqlDialect;
  sql: string;
  why: string;
  /** An INSERT, UPDATE, DELETE, MERGE or REPLACE and nothing else: allowed once mutations are. */
  plainWrite?: boolean;
}

const hostile = JSON.parse(
  readFileSync(join(__dirname, '../../../../test/fixtures/hostile-sql.json'), 'utf8'),
) as Hostile[];
const guard = new SqlGuard();
afterAll(() => guard.close());

describe('SqlGuard against hostile SQL (test/fixtures/hostile-sql.json)', () => {
  it('holds at least 120 statements across PostgreSQL, MySQL and SQLite', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(120);
    expect(new Set(hostile.map((h) => h.dialect))).toEqual(new Set(['postgresql', 'mysql', 'sqlite']));
  });

  it('refuses every one of them (read-only caller)', async () => {
    const passed: Hostile[] = [];
    const codes = new Map<string, number>();
    for (const h of hostile) {
      const result = await guard.check(h.sql, { dialect: h.dialect, maxRows: 100 });
      if (result.ok) passed.push(h);
      else expect(result.errors.length).toBeGreaterThan(0);
      const code = result.errors[0]?.code ?? 'none';
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    const refused = hostile.length - passed.length;
    console.log(
      `hostile SQL refused: ${refused}/${hostile.length} (${((100 * refused) / hostile.length).toFixed(1)}%); first error codes: ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`,
    );
    expect(passed).toEqual([]);
  });

  it('still refuses everything but plain writes when mutations are allowed, and lets those through', async () => {
    const dangerous = hostile.filter((h) => !h.plainWrite);
    const passed: Hostile[] = [];
    for (const h of dangerous) {
      if ((await guard.check(h.sql, { dialect: h.dialect, allowMutations: true, maxRows: 100 })).ok) passed.push(h);
    }
    console.log(
      `with allowMutations: ${dangerous.length - passed.length}/${dangerous.length} dangerous statements refused`,
    );
    expect(passed).toEqual([]);

    const writes = hostile.filter((h) => h.plainWrite);
    for (const h of writes) {
      const result = await guard.check(h.sql, { dialect: h.dialect, allowMutations: true, maxRows: 100 });
      expect({ sql: h.sql, ok: result.ok, errors: result.errors }).toEqual({ sql: h.sql, ok: true, errors: [] });
      expect(result.readOnly).toBe(false);
    }
  });
});
