import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { IsSqlDialect } from '../validation/sql-dialect';
import { connectionStringDialects, dialectNames, dialectSpec, isDialect, registerDialect } from './dialect-registry';
import type { DialectSpec } from './dialect-registry';
import { assertSingleStatement, extractReferences } from './sql-analysis';

// Declared before any dialect is registered: the decorator must ask the registry when it runs.
class WithDialect {
  @IsSqlDialect()
  dialect: string;
}

const FAKESQL: DialectSpec = {
  name: 'fakesql',
  polyglot: 'postgresql',
  defaultPort: 6543,
  connectionSchemes: ['fakesql:'],
  family: 'postgresql',
  pseudoColumns: ['ctid'],
  promptHint: 'FakeSQL: PostgreSQL syntax.',
};

const errorsOf = async (dialect: unknown) =>
  (await validate(plainToInstance(WithDialect, { dialect }))).flatMap((e) => Object.values(e.constraints ?? {}));

describe('the SQL dialect registry', () => {
  it('knows a dialect once it is registered, and only then', async () => {
    expect(isDialect('fakesql')).toBe(false);
    expect(await errorsOf('fakesql')).toEqual([expect.stringContaining('dialect must be one of')]);
    expect(() => dialectSpec('fakesql')).toThrow('Unknown SQL dialect "fakesql"');

    expect(registerDialect(FAKESQL)).toBe(FAKESQL);

    expect(isDialect('fakesql')).toBe(true);
    expect(dialectSpec('fakesql')).toEqual(FAKESQL);
    expect(dialectNames()).toContain('fakesql');
    expect(connectionStringDialects()).toContain('fakesql');
    expect(await errorsOf('fakesql')).toEqual([]);
  });

  it('refuses unknown names and what is not a name', async () => {
    registerDialect(FAKESQL);
    expect(() => dialectSpec('nosuchsql')).toThrow(/Unknown SQL dialect "nosuchsql"; registered: .*fakesql/);
    for (const value of ['nosuchsql', 'FAKESQL', '', 42, null, ['fakesql']]) {
      expect(isDialect(value)).toBe(false);
      expect(await errorsOf(value)).toEqual([
        expect.stringMatching(/^dialect must be one of the following values: .*fakesql/),
      ]);
    }
  });

  it('takes the same spec twice, but not another spec under a known name nor a malformed name', () => {
    registerDialect(FAKESQL);
    expect(() => registerDialect({ ...FAKESQL })).not.toThrow();
    expect(dialectNames().filter((n) => n === 'fakesql')).toHaveLength(1);
    expect(() => registerDialect({ ...FAKESQL, defaultPort: 1 })).toThrow('registered already');
    expect(() => registerDialect({ ...FAKESQL, name: 'Fake SQL' })).toThrow('dialect name');
    expect(() => registerDialect({ ...FAKESQL, name: 'a_very_long_dialect_name' })).toThrow('dialect name');
  });

  it('gives SQL analysis the parser of a registered dialect, and refuses an unknown one', async () => {
    registerDialect(FAKESQL);
    await expect(assertSingleStatement('SELECT ARRAY[1, 2] AS a', 'fakesql')).resolves.toBeUndefined();
    const refs = await extractReferences('SELECT a.title FROM album a', 'fakesql');
    expect(refs.tables).toEqual([{ schema: null, name: 'album' }]);
    await expect(assertSingleStatement('SELECT 1', 'nosuchsql')).rejects.toThrow('Unknown SQL dialect "nosuchsql"');
  });
});
