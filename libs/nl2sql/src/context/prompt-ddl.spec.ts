import type { ColumnInfo, TableInfo } from '@sluice/connectors';
import { compactType, estimateTokens, quoteIdentifier, renderDdl, renderTableDdl } from './prompt-ddl';
import type { LinkableTable } from './schema-linker';

const column = (name: string, type: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  type,
  nullable: true,
  default: null,
  primaryKey: false,
  comment: null,
  ...extra,
});

const customerTable: TableInfo = {
  schema: 'public',
  name: 'customer',
  kind: 'table',
  comment: 'from the database comment',
  rowEstimate: 59,
  columns: [
    column('customer_id', 'integer', { nullable: false, primaryKey: true, default: "nextval('seq')" }),
    column('email', 'character varying(60)', { nullable: false, comment: 'Login e-mail' }),
    column('country', 'character varying(40)'),
    column('support_rep_id', 'integer'),
    column('created_at', 'timestamp(3) with time zone'),
  ],
  primaryKey: ['customer_id'],
  foreignKeys: [
    {
      name: 'customer_support_rep_id_fkey',
      columns: ['support_rep_id'],
      referencedSchema: 'public',
      referencedTable: 'employee',
      referencedColumns: ['employee_id'],
    },
  ],
};

const customer: LinkableTable = {
  key: 'public.customer',
  table: customerTable,
  description: 'People who bought\nsomething',
  tags: ['pii', 'core'],
  context: 'Exclude test accounts (email ends in @example.com).',
  columnNotes: { email: { tags: ['pii'] }, country: { description: 'Billing country', context: 'ISO name' } },
  sampleValues: { country: ['Brazil', "Côte d'Ivoire", 'x'.repeat(60)] },
};

const employee: LinkableTable = {
  key: 'public.employee',
  table: {
    schema: 'public',
    name: 'employee',
    kind: 'table',
    comment: null,
    rowEstimate: 8,
    columns: [column('employee_id', 'integer', { nullable: false, primaryKey: true })],
    primaryKey: ['employee_id'],
    foreignKeys: [],
  },
};

describe('renderTableDdl', () => {
  it('renders compact DDL with descriptions, tags, context and sample values as comments', () => {
    expect(renderTableDdl(customer, { dialect: 'postgresql' })).toBe(
      [
        '-- People who bought something',
        '-- tags: pii, core',
        '-- context: Exclude test accounts (email ends in @example.com).',
        'CREATE TABLE public.customer (',
        '  customer_id integer NOT NULL,',
        '  email varchar(60) NOT NULL, -- Login e-mail; tags: pii',
        `  country varchar(40), -- Billing country; note: ISO name; values: 'Brazil', 'Côte d''Ivoire', '${'x'.repeat(39)}…'`,
        '  support_rep_id integer,',
        '  created_at timestamptz(3),',
        '  PRIMARY KEY (customer_id),',
        '  FOREIGN KEY (support_rep_id) REFERENCES public.employee (employee_id)',
        ');',
      ].join('\n'),
    );
  });

  it('falls back to the database comment and leaves out foreign keys to tables not shown', () => {
    const plain = { key: customer.key, table: customerTable };
    const ddl = renderTableDdl(plain, { dialect: 'postgresql', shows: () => false });
    expect(ddl.split('\n')[0]).toBe('-- from the database comment');
    expect(ddl).not.toContain('FOREIGN KEY');
    expect(ddl).toContain('  PRIMARY KEY (customer_id)\n);');
  });

  it('never names a column left out of the table, not even in a key', () => {
    const withheld = { ...customer, table: { ...customerTable, columns: customerTable.columns.slice(1, 3) } };
    const ddl = renderTableDdl(withheld, { dialect: 'postgresql' });
    expect(ddl).not.toMatch(/customer_id|support_rep_id|PRIMARY KEY|FOREIGN KEY/);
    expect(ddl).toContain('  country varchar(40) -- Billing country');
  });

  it('quotes names the dialect would fold or reserve', () => {
    const odd: LinkableTable = {
      key: 'Orders',
      table: {
        ...employee.table,
        schema: null,
        name: 'Orders',
        columns: [column('user', 'INT'), column('Total', 'REAL')],
        primaryKey: [],
      },
    };
    expect(renderTableDdl(odd, { dialect: 'sqlite' })).toBe(
      'CREATE TABLE "Orders" (\n  "user" INT,\n  "Total" REAL\n);',
    );
    expect(renderTableDdl(odd, { dialect: 'mysql' })).toBe('CREATE TABLE Orders (\n  `user` INT,\n  Total REAL\n);');
  });

  it('renders a view as a view', () => {
    const view = { key: 'public.recent', table: { ...employee.table, name: 'recent', kind: 'view' as const } };
    expect(renderTableDdl(view, { dialect: 'postgresql' })).toMatch(/^CREATE VIEW public\.recent \(/);
  });
});

describe('renderDdl', () => {
  it('joins tables with blank lines and keeps foreign keys between them only', () => {
    expect(renderDdl([customer], 'postgresql')).not.toContain('FOREIGN KEY');
    const both = renderDdl([customer, employee], 'postgresql');
    expect(both).toContain('FOREIGN KEY (support_rep_id) REFERENCES public.employee (employee_id)');
    expect(both).toContain(');\n\nCREATE TABLE public.employee (');
  });
});

describe('helpers', () => {
  it('estimates tokens as characters / 4, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
  });

  it.each([
    ['character varying(20)', 'varchar(20)'],
    ['character varying[]', 'varchar[]'],
    ['character(2)', 'char(2)'],
    ['timestamp without time zone', 'timestamp'],
    ['timestamp(6) with time zone', 'timestamptz(6)'],
    ['time without time zone', 'time'],
    ['double precision', 'double precision'],
  ])('shortens %s to %s for PostgreSQL', (long, short) => {
    expect(compactType(long, 'postgresql')).toBe(short);
    expect(compactType(long, 'mysql')).toBe(long);
  });

  it('quotes identifiers per dialect', () => {
    expect(quoteIdentifier('album', 'postgresql')).toBe('album');
    expect(quoteIdentifier('sbCustId', 'postgresql')).toBe('"sbCustId"');
    expect(quoteIdentifier('order', 'postgresql')).toBe('"order"');
    expect(quoteIdentifier('a"b', 'postgresql')).toBe('"a""b"');
    expect(quoteIdentifier('sbCustId', 'mysql')).toBe('sbCustId');
    expect(quoteIdentifier('group', 'mysql')).toBe('`group`');
  });
});
