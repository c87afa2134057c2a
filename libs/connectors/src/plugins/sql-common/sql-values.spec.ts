import { ConnectorConfigError } from '../../plugin/connector-errors';
import { DeadlineError, withDeadline } from './deadline';
import { toJsonRow } from './json-values';
import { parseNetworkConfig, sslWarning } from './network-sql-config';
import { buildDdl, CatalogTable, quoteIdentifier } from './sql-ddl';

describe('toJsonRow', () => {
  it('keeps every value exact through JSON', () => {
    const row = toJsonRow([
      new Date('2020-01-02T03:04:05Z'),
      12345678901234567890n,
      Buffer.from('hi'),
      new Uint8Array([1, 2]),
      Number.NaN,
      { at: new Date(0), list: [1n] },
      undefined,
      'x',
      true,
    ]);
    expect(row).toEqual([
      '2020-01-02T03:04:05.000Z',
      '12345678901234567890',
      'aGk=',
      'AQI=',
      'NaN',
      { at: '1970-01-01T00:00:00.000Z', list: ['1'] },
      null,
      'x',
      true,
    ]);
  });
});

describe('parseNetworkConfig', () => {
  it('fills defaults and keeps the password apart from the rest', () => {
    expect(parseNetworkConfig({ host: ' db.example.com ', database: 'd', user: 'u' }, { password: 'p' }, 5432)).toEqual(
      {
        host: 'db.example.com',
        port: 5432,
        database: 'd',
        user: 'u',
        password: 'p',
        ssl: { mode: 'require' },
      },
    );
  });

  it('reports field combinations a schema cannot express', () => {
    let error: ConnectorConfigError | undefined;
    try {
      parseNetworkConfig(
        { host: 'postgres://u:p@h', database: 'd', user: 'u', ssl: { mode: 'require', ca: 'x' } },
        {},
        5432,
      );
    } catch (e) {
      error = e as ConnectorConfigError;
    }
    expect(error).toBeInstanceOf(ConnectorConfigError);
    expect(error!.details!.map((d) => (d as { field: string }).field)).toEqual(['config.host', 'config.ssl.ca']);
  });

  it('warns about plain TCP only off the machine', () => {
    expect(sslWarning({ mode: 'disable' }, '127.0.0.1')).toBeUndefined();
    expect(sslWarning({ mode: 'disable' }, '::1')).toBeUndefined();
    expect(sslWarning({ mode: 'disable' }, '203.0.113.9')).toMatch(/SSL is disabled \(config.ssl.mode is disable\)/);
    expect(sslWarning({ mode: 'require' }, '203.0.113.9')).toBeUndefined();
  });
});

describe('buildDdl', () => {
  const table: CatalogTable = {
    schema: 'Sales',
    name: 'order',
    kind: 'table',
    comment: "Customer's orders",
    rowEstimate: 10,
    columns: [
      { name: 'id', type: 'integer', nullable: false, default: null, primaryKey: true, comment: null },
      { name: 'Total', type: 'numeric(10,2)', nullable: true, default: '0', primaryKey: false, comment: 'gross' },
    ],
    primaryKey: ['id'],
    foreignKeys: [
      { name: 'order_fk', columns: ['id'], referencedSchema: 'Sales', referencedTable: 'x', referencedColumns: ['id'] },
    ],
    definition: null,
  };

  it('quotes only what needs quoting, per dialect', () => {
    expect(quoteIdentifier('album', 'postgresql')).toBe('album');
    expect(quoteIdentifier('Album', 'postgresql')).toBe('"Album"');
    expect(quoteIdentifier('user', 'postgresql')).toBe('"user"');
    expect(quoteIdentifier('Album', 'mysql')).toBe('Album');
    expect(quoteIdentifier('a`b', 'mysql')).toBe('`a``b`');
  });

  it('writes PostgreSQL tables with comments as separate statements', () => {
    expect(buildDdl(table, 'postgresql')).toBe(
      [
        'CREATE TABLE "Sales"."order" (',
        '  id integer NOT NULL,',
        '  "Total" numeric(10,2) DEFAULT 0,',
        '  PRIMARY KEY (id),',
        '  CONSTRAINT order_fk FOREIGN KEY (id) REFERENCES "Sales".x (id)',
        ');',
        `COMMENT ON TABLE "Sales"."order" IS 'Customer''s orders';`,
        `COMMENT ON COLUMN "Sales"."order"."Total" IS 'gross';`,
      ].join('\n'),
    );
  });

  it('writes MySQL tables with inline comments, and views from their definition', () => {
    expect(buildDdl(table, 'mysql')).toContain("  Total numeric(10,2) DEFAULT 0 COMMENT 'gross',");
    expect(buildDdl(table, 'mysql')).toMatch(/\) COMMENT='Customer''s orders';$/);
    const view: CatalogTable = { ...table, kind: 'view', definition: ' SELECT 1;', comment: null };
    expect(buildDdl(view, 'postgresql')).toBe('CREATE VIEW "Sales"."order" AS\nSELECT 1;');
    expect(buildDdl({ ...view, definition: null }, 'postgresql')).toMatch(
      /^-- VIEW "Sales"."order": definition not readable/,
    );
  });
});

describe('withDeadline', () => {
  it('resolves in time, and otherwise tears down and rejects', async () => {
    expect(
      await withDeadline(
        async () => 1,
        100,
        undefined,
        () => undefined,
      ),
    ).toBe(1);
    let torn = false;
    const slow = withDeadline(
      () => new Promise(() => undefined),
      20,
      undefined,
      () => (torn = true),
    );
    await expect(slow).rejects.toEqual(expect.objectContaining({ reason: 'timeout' }));
    expect(torn).toBe(true);
    const aborted = AbortSignal.abort();
    await expect(
      withDeadline(
        async () => 1,
        100,
        aborted,
        () => undefined,
      ),
    ).rejects.toBeInstanceOf(DeadlineError);
  });
});
