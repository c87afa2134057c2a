import {
  ConnectorRegistry,
  ConnectorService,
  CONNECTOR_PLUGIN,
  ConnectorPluginDecorator as ConnectorPlugin,
  settingsFromConnection,
} from '@sluice/connectors';
import type { ConnectorTypeInfo, DialectSpec } from '@sluice/connectors';
import { dialectNames, isDialect } from '@sluice/core';
import { ExampleChecker, CreateExampleDto, UpdateExampleDto } from '@sluice/examples';
import { SchemaService } from '@sluice/schema';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { buildPrompt } from './generation/prompt';
import { SqlGuard } from './guard/sql-guard';
import { ValidateDto } from './dto/nl2sql.dto';
import { PromoteHistoryDto } from './dto/promote-history.dto';
import { tableInfo } from '../../../test/helpers/table-info';

/**
 * A connector type of a dialect nobody listed: declaring it is the only step. Every DTO, the
 * examples checker, connection strings, the prompt and the guard (in its worker threads) must
 * then know `fakesql`, and still refuse a name nobody registered.
 */
const FAKESQL: DialectSpec = {
  name: 'fakesql',
  polyglot: 'postgresql',
  defaultPort: 6543,
  connectionSchemes: ['fakesql:'],
  family: 'postgresql',
  pseudoColumns: ['ctid'],
  promptHint: 'FakeSQL: PostgreSQL syntax, with its own hint.',
};

const dialectErrors = async (cls: new () => object, plain: object) =>
  (await validate(plainToInstance(cls, plain), { whitelist: true, forbidNonWhitelisted: true }))
    .filter((e) => e.property === 'dialect' || e.property === 'fromDialect')
    .map((e) => e.property);

const DTOS: Array<[string, new () => object, (dialect: string) => object]> = [
  ['CreateExampleDto', CreateExampleDto, (dialect) => ({ question: 'q', sql: 'SELECT 1', dialect })],
  ['UpdateExampleDto', UpdateExampleDto, (dialect) => ({ dialect })],
  ['PromoteHistoryDto', PromoteHistoryDto, (dialect) => ({ dialect })],
  ['ValidateDto', ValidateDto, (fromDialect) => ({ connectorId: 'conn_1', sql: 'SELECT 1', fromDialect })],
];

describe('a SQL connector type declared in a test registers its dialect everywhere', () => {
  const guard = new SqlGuard();
  afterAll(() => guard.close());

  // Before the fake type exists: the DTOs (loaded above) must refuse it, so a list fixed when
  // they were declared would make the checks after registration fail.
  let refusedBefore: Record<string, string[]>;
  let info: ConnectorTypeInfo;
  beforeAll(async () => {
    refusedBefore = {};
    for (const [name, cls, body] of DTOS) refusedBefore[name] = await dialectErrors(cls, body('fakesql'));
    info = declareFakeSqlType();
  });

  it('is registered by the @ConnectorPlugin declaration, after the built-ins', () => {
    expect(Object.keys(refusedBefore)).toHaveLength(DTOS.length);
    expect(info.dialect).toBe('fakesql');
    expect(isDialect('fakesql')).toBe(true);
    expect(dialectNames()).toEqual(['postgresql', 'redshift', 'mysql', 'sqlite', 'fakesql']);
  });

  it.each(DTOS)('%s accepts fakesql only once it is registered, and refuses nosuchsql', async (name, cls, body) => {
    const field = name === 'ValidateDto' ? 'fromDialect' : 'dialect';
    expect(refusedBefore[name]).toEqual([field]);
    expect(await dialectErrors(cls, body('fakesql'))).toEqual([]);
    expect(await dialectErrors(cls, body('postgresql'))).toEqual([]);
    expect(await dialectErrors(cls, body('nosuchsql'))).toEqual([field]);
  });

  it('the examples checker takes a fakesql connector and fakesql SQL', async () => {
    const connectors = { find: jest.fn().mockResolvedValue({ name: 'fake', type: 'fakesql' }) };
    const registry = { get: jest.fn().mockReturnValue({ info }) };
    const schema = { snapshot: jest.fn() };
    const checker = new ExampleChecker(
      connectors as unknown as ConnectorService,
      registry as unknown as ConnectorRegistry,
      schema as unknown as SchemaService,
    );
    await expect(checker.connectorDialect('ten_1', 'conn_1')).resolves.toBe('fakesql');
    await expect(checker.resolveDialect('ten_1', null, 'fakesql')).resolves.toBe('fakesql');
    // PostgreSQL's array syntax parses: the spec's polyglot dialect is the one used.
    await expect(checker.checkSql('ten_1', 'SELECT ARRAY[1, 2] AS a', 'fakesql', null)).resolves.toEqual([]);
    await expect(checker.checkSql('ten_1', 'SELECT 1', 'nosuchsql', null)).rejects.toThrow('Unknown SQL dialect');
  });

  it('the guard checks a SELECT written for fakesql with the rules of its family, in its worker threads', async () => {
    const ok = await guard.check('SELECT name FROM artist', { dialect: 'fakesql', maxRows: 10 });
    expect(ok).toMatchObject({ ok: true, dialect: 'fakesql', normalizedSql: 'SELECT name FROM artist LIMIT 10' });
    // PostgreSQL's dangerous functions and catalogs are refused for it too.
    const sleep = await guard.check('SELECT pg_sleep(10)', { dialect: 'fakesql' });
    expect(sleep.ok).toBe(false);
    expect(sleep.errors.map((e) => e.code)).toContain('DANGEROUS_FUNCTION');
    const catalog = await guard.check('SELECT * FROM pg_authid', { dialect: 'fakesql' });
    expect(catalog.ok).toBe(false);
    // A pseudo-column of its spec is accepted against a schema; another is not.
    const schema = { tables: [tableInfo('public', 'artist', ['name'])] };
    expect((await guard.check('SELECT ctid FROM artist', { dialect: 'fakesql', schema })).ok).toBe(true);
    expect((await guard.check('SELECT xmin FROM artist', { dialect: 'fakesql', schema })).ok).toBe(false);
  });

  it('refuses a name nobody registered, in the guard too', async () => {
    const unknown = await guard.check('SELECT 1', { dialect: 'nosuchsql' });
    expect(unknown.ok).toBe(false);
    expect(unknown.errors[0].message).toContain('Unknown SQL dialect "nosuchsql"');
  });

  it('connection strings and the prompt read the spec', () => {
    expect(settingsFromConnection('fakesql', 'fakesql://reader:pw@db.example.com/sales')).toEqual({
      config: { host: 'db.example.com', port: 6543, database: 'sales', user: 'reader' },
      authConfig: { password: 'pw' },
    });
    expect(() => settingsFromConnection('nosuchsql', 'fakesql://reader:pw@db.example.com/sales')).toThrow();
    const [system] = buildPrompt({
      question: 'q',
      dialect: 'fakesql',
      ddl: '',
      examples: [],
      allowMutations: false,
      maxRows: 10,
    });
    expect(system.content).toContain('FakeSQL: PostgreSQL syntax, with its own hint.');
  });
});

/** The whole of adding the type: a class marked @ConnectorPlugin with its dialect's spec. */
function declareFakeSqlType(): ConnectorTypeInfo {
  @ConnectorPlugin({
    type: 'fakesql',
    category: 'sql',
    displayName: 'FakeSQL',
    readiness: 'ready',
    capabilities: ['test', 'introspect', 'execute'],
    dialect: FAKESQL,
  })
  class FakeSqlConnector {}
  return Reflect.getMetadata(CONNECTOR_PLUGIN, FakeSqlConnector) as ConnectorTypeInfo;
}
