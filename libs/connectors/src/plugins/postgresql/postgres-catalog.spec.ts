import { assembleCatalog, ColumnRow, ConstraintRow, RelationRow } from './postgres-catalog';

const relation = (oid: number, name: string): RelationRow => ({
  oid,
  schema: 'public',
  name,
  relkind: 'r',
  comment: null,
  row_estimate: 10,
  definition: null,
});

// The column rows as the server sends them without an ORDER BY: relations interleaved, and a
// column whose catalog row was rewritten (ALTER COLUMN ... SET DEFAULT) after those that follow it.
const columns: ColumnRow[] = [
  ['20', '1', 'id', 'integer', 't', null, null],
  ['10', '1', 'id', 'integer', 't', "nextval('orders_id_seq'::regclass)", 'Identifier'],
  ['10', '3', 'total', 'numeric(10,2)', 'f', null, null],
  ['20', '2', 'order_id', 'integer', 'f', null, null],
  ['10', '5', 'note', 'text', 'f', null, null],
  ['10', '2', 'placed_at', 'timestamp with time zone', 't', 'now()', null],
  ['30', '1', 'ghost', 'text', 'f', null, null],
];

const constraints: ConstraintRow[] = [
  {
    oid: 10,
    name: 'orders_pkey',
    type: 'p',
    keys: [1],
    ref_oid: 0,
    ref_keys: null,
    ref_schema: null,
    ref_table: null,
    ref_columns: null,
  },
  {
    oid: 20,
    name: 'lines_order_fkey',
    type: 'f',
    keys: [2],
    ref_oid: 10,
    ref_keys: [1],
    ref_schema: 'public',
    ref_table: 'orders',
    ref_columns: null,
  },
];

describe('assembleCatalog', () => {
  const [lines, orders] = assembleCatalog([relation(20, 'lines'), relation(10, 'orders')], columns, constraints);

  it("puts each relation's columns in attribute order, whatever order the rows came in", () => {
    expect(orders.columns.map((c) => c.name)).toEqual(['id', 'placed_at', 'total', 'note']);
    expect(lines.columns.map((c) => c.name)).toEqual(['id', 'order_id']);
  });

  it('reads the raw text of the column rows into typed columns', () => {
    expect(orders.columns[0]).toEqual({
      name: 'id',
      type: 'integer',
      nullable: false,
      default: "nextval('orders_id_seq'::regclass)",
      primaryKey: true,
      comment: 'Identifier',
    });
    expect(orders.columns[2]).toMatchObject({ name: 'total', nullable: true, default: null, primaryKey: false });
  });

  it('names key columns by attribute number, and skips columns of relations it was not given', () => {
    expect(orders.primaryKey).toEqual(['id']);
    expect(lines.foreignKeys).toEqual([
      {
        name: 'lines_order_fkey',
        columns: ['order_id'],
        referencedSchema: 'public',
        referencedTable: 'orders',
        referencedColumns: ['id'],
      },
    ]);
    expect([lines, orders].flatMap((t) => t.columns).some((c) => c.name === 'ghost')).toBe(false);
  });
});
