import { Client } from 'pg';
import { createDatabaseWith } from '../helpers/test-env';

/**
 * A large, plausible PostgreSQL schema for the benchmarks: `domains × entities` tables named
 * `<domain>_<entity>` (e.g. `sales_orders`), each with a primary key, a foreign key to the
 * domain's first table, a comment on the table and on every column. No rows: the benchmarks that
 * use it measure schema work (introspection, context building), not data.
 */
export const DOMAINS = [
  'sales',
  'billing',
  'payroll',
  'inventory',
  'shipping',
  'marketing',
  'support',
  'finance',
  'procurement',
  'hr',
  'crm',
  'warehouse',
  'logistics',
  'retail',
  'legal',
  'compliance',
  'audit',
  'research',
  'clinical',
  'pharmacy',
  'insurance',
  'claims',
  'banking',
  'lending',
  'trading',
  'energy',
  'utilities',
  'telecom',
  'media',
  'education',
  'housing',
  'transit',
  'aviation',
  'hotel',
  'travel',
  'events',
  'sports',
  'gaming',
  'agri',
  'fleet',
];
export const ENTITIES = [
  'accounts',
  'orders',
  'order_lines',
  'invoices',
  'payments',
  'customers',
  'suppliers',
  'products',
  'categories',
  'prices',
  'discounts',
  'contracts',
  'employees',
  'departments',
  'locations',
  'regions',
  'addresses',
  'contacts',
  'tickets',
  'messages',
  'campaigns',
  'leads',
  'opportunities',
  'quotes',
  'shipments',
  'carriers',
  'routes',
  'vehicles',
  'drivers',
  'schedules',
  'bookings',
  'reservations',
  'assets',
  'licenses',
  'policies',
  'claims_items',
  'budgets',
  'forecasts',
  'ledgers',
  'journals',
  'taxes',
  'currencies',
  'rates',
  'audits',
  'documents',
  'approvals',
  'tasks',
  'projects',
  'milestones',
  'reviews',
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

/** The DDL of the schema, one script per table (CREATE TABLE with keys, then its comments), parents first. */
export function largeSchemaDdl(tables = 2_000, columns = 10): string[] {
  const cols = columnsOf(columns);
  const scripts = largeSchemaTables(tables).map((table) => {
    const domain = table.slice(0, table.indexOf('_'));
    const defs = cols.map((c) => `  "${c.name}" ${c.type}`);
    // The domain's first table is every other table's parent (itself included: a tree).
    defs.push(`  FOREIGN KEY ("parent_id") REFERENCES "${domain}_${ENTITIES[0]}" ("id")`);
    const lines = [`CREATE TABLE "${table}" (\n${defs.join(',\n')}\n);`];
    lines.push(`COMMENT ON TABLE "${table}" IS 'The ${table.replace(/_/g, ' ')} of the ${domain} domain';`);
    for (const c of cols) lines.push(`COMMENT ON COLUMN "${table}"."${c.name}" IS '${c.comment}';`);
    return { parent: table === `${domain}_${ENTITIES[0]}`, script: lines.join('\n') };
  });
  // A foreign key needs its target to exist.
  return [...scripts.filter((s) => s.parent), ...scripts.filter((s) => !s.parent)].map((s) => s.script);
}

/** Creates the database of `url` holding the large schema; returns its table names. */
export async function createLargeSchema(url: string, tables = 2_000, columns = 10): Promise<string[]> {
  await createDatabaseWith(url, 'SELECT 1');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const scripts = largeSchemaDdl(tables, columns);
    // In batches: one transaction holding locks on 2,000 new tables exceeds max_locks_per_transaction.
    for (let i = 0; i < scripts.length; i += 100) await client.query(scripts.slice(i, i + 100).join('\n'));
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
  return largeSchemaTables(tables);
}
