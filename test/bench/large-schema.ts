import { createDatabaseWith } from '../helpers/test-env';

/**
 * A large, plausible PostgreSQL schema for the benchmarks: `domains × entities` tables named
 * `<domain>_<entity>` (e.g. `sales_orders`), each with a primary key, a foreign key to the
 * domain's first table, a comment on the table and on every column. No rows: the benchmarks that
 * use it measure schema work (introspection, context building), not data.
 */
export const DOMAINS = [
  'sales', 'billing', 'payroll', 'inventory', 'shipping', 'marketing', 'support', 'finance',
  'procurement', 'hr', 'crm', 'warehouse', 'logistics', 'retail', 'legal', 'compliance',
  'audit', 'research', 'clinical', 'pharmacy', 'insurance', 'claims', 'banking', 'lending',
  'trading', 'energy', 'utilities', 'telecom', 'media', 'education', 'housing', 'transit',
  'aviation', 'hotel', 'travel', 'events', 'sports', 'gaming', 'agri', 'fleet',
];
export const ENTITIES = [
  'accounts', 'orders', 'order_lines', 'invoices', 'payments', 'customers', 'suppliers', 'products',
  'categories', 'prices', 'discounts', 'contracts', 'employees', 'departments', 'locations', 'regions',
  'addresses', 'contacts', 'tickets', 'messages', 'campaigns', 'leads', 'opportunities', 'quotes',
  'shipments', 'carriers', 'routes', 'vehicles', 'drivers', 'schedules', 'bookings', 'reservations',
  'assets', 'licenses', 'policies', 'claims_items', 'budgets', 'forecasts', 'ledgers', 'journals',
  'taxes', 'currencies', 'rates', 'audits', 'documents', 'approvals', 'tasks', 'projects',
  'milestones', 'reviews',
];

/** The column list of every table: `columns` names (10 by default), `id` and `parent_id` first. */
function columnsOf(columns: number): Array<{ name: string; type: string; comment: string }> {
  const base = [
    { name: 'id', type: 'bigint PRIMARY KEY', comment: 'Identifier of the row' },
    { name: 'parent_id', type: 'bigint', comment: 'The owning row in the domain accounts table' },
    { name: 'name', type: 'text NOT NULL', comment: 'Display name' },
    { name: 'code', type: 'varchar(32)', comment: 'Short business code, unique per domain' },
    { name: 'status', type: 'varchar(16)', comment: 'Lifecycle status: open, active, closed' },
    { name: 'amount', type: 'numeric(12,2)', comment: 'Amount in the account currency' },
    { name: 'quantity', type: 'integer', comment: 'Number of units' },
    { name: 'created_at', type: 'timestamptz NOT NULL DEFAULT now()', comment: 'When the row was created' },
    { name: 'updated_at', type: 'timestamptz', comment: 'When the row last changed' },
    { name: 'description', type: 'text', comment: 'Free-text description' },
  ];
  const out = base.slice(0, Math.max(2, Math.min(columns, base.length)));
  for (let i = out.length; i < columns; i++) out.push({ name: `attr_${i}`, type: 'text', comment: `Attribute ${i}` });
  return out;
}

/** The table names of a schema of `tables` tables, in creation order. */
export function largeSchemaTables(tables: number): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < tables; i++) {
    const domain = DOMAINS[i % DOMAINS.length];
    const entity = ENTITIES[Math.floor(i / DOMAINS.length) % ENTITIES.length];
    const round = Math.floor(i / (DOMAINS.length * ENTITIES.length));
    names.push(round ? `${domain}_${entity}_${round + 1}` : `${domain}_${entity}`);
  }
  return names;
}

/** The DDL of the schema: CREATE TABLE with keys, then the comments. */
export function largeSchemaDdl(tables = 2_000, columns = 10): string {
  const names = largeSchemaTables(tables);
  const cols = columnsOf(columns);
  const statements: string[] = [];
  for (const table of names) {
    const domain = table.slice(0, table.indexOf('_'));
    const parent = `${domain}_${ENTITIES[0]}`;
    const defs = cols.map((c) => `  "${c.name}" ${c.type}`);
    // The domain's first table is every other table's parent (itself included: a tree).
    defs.push(`  FOREIGN KEY ("parent_id") REFERENCES "${parent}" ("id")`);
    statements.push(`CREATE TABLE "${table}" (\n${defs.join(',\n')}\n);`);
    const words = table.replace(/_/g, ' ');
    statements.push(`COMMENT ON TABLE "${table}" IS 'The ${words} of the ${domain} domain';`);
    for (const c of cols) statements.push(`COMMENT ON COLUMN "${table}"."${c.name}" IS '${c.comment}';`);
  }
  // Parents first: a foreign key needs its target to exist.
  const parents = statements.filter((s, i) => i % (cols.length + 2) === 0 && / "[a-z]+_accounts" \(/.test(s));
  const rest = statements.filter((s) => !parents.includes(s));
  return [...parents, ...rest].join('\n');
}

/** Creates the database of `url` holding the large schema. */
export async function createLargeSchema(url: string, tables = 2_000, columns = 10): Promise<string[]> {
  await createDatabaseWith(url, `${largeSchemaDdl(tables, columns)}\nANALYZE;`);
  return largeSchemaTables(tables);
}
