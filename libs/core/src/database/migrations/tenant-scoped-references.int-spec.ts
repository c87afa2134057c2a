import { DataSource } from 'typeorm';
import { dropDatabase, query, testEnv } from '../../../../../test/helpers/test-env';
import { ensureDatabaseExists, runMigrations } from '../prepare-database';
import { MIGRATIONS } from './index';

// Rows that name a connector of tenant A while filed under tenant B, one per table.
const CROSS_TENANT_ROWS: Array<[string, string]> = [
  ['sync_runs', "INSERT INTO sync_runs (id, tenant_id, connector_id) VALUES ('run_x', 'ten_b', 'conn_a')"],
  [
    'documents',
    `INSERT INTO documents (id, tenant_id, connector_id, external_id, kind, name, status, metadata)
       VALUES ('doc_x', 'ten_b', 'conn_a', 'a.csv', 'file', 'a.csv', 'synced', '{}')`,
  ],
  [
    'schema_snapshots',
    `INSERT INTO schema_snapshots (connector_id, tenant_id, dialect, database, tables, fingerprint, catalog_queries, introspected_at)
       VALUES ('conn_a', 'ten_b', 'postgresql', 'shop', '[]', 'fp', 1, now())`,
  ],
  [
    'schema_annotations',
    `INSERT INTO schema_annotations (id, tenant_id, connector_id, table_name, description)
       VALUES ('ann_x', 'ten_b', 'conn_a', 'public.orders', 'd')`,
  ],
  [
    'examples',
    `INSERT INTO examples (id, tenant_id, connector_id, question, sql, dialect)
       VALUES ('ex_x', 'ten_b', 'conn_a', 'q', 'SELECT 1', 'postgresql')`,
  ],
  [
    'history_entries',
    `INSERT INTO history_entries (id, tenant_id, connector_id, question, ok, duration_ms)
       VALUES ('his_x', 'ten_b', 'conn_a', 'q', true, 1)`,
  ],
];

describe('references carry the tenant (real PostgreSQL)', () => {
  const url = testEnv().DATABASE_URL!;
  afterAll(() => dropDatabase(url));

  beforeAll(async () => {
    await ensureDatabaseExists(url);
    await runMigrations(url);
    await query(url, "INSERT INTO tenants (id, name) VALUES ('ten_a', 'Acme'), ('ten_b', 'Globex')");
    await query(url, "INSERT INTO connectors (id, tenant_id, name, type) VALUES ('conn_a', 'ten_a', 'A', 'sqlite')");
  });

  it.each(CROSS_TENANT_ROWS)('refuses a %s row filed under another tenant than its connector', async (table, sql) => {
    await expect(query(url, sql)).rejects.toThrow(new RegExp(`${table}_connector_tenant_fkey`));
    await expect(query(url, sql.replace(/'ten_b'/, "'ten_a'"))).resolves.toEqual([]);
  });

  it("refuses a history entry that names another tenant's example", async () => {
    await query(
      url,
      "INSERT INTO examples (id, tenant_id, question, sql, dialect) VALUES ('ex_b', 'ten_b', 'q', 'SELECT 1', 'sqlite')",
    );
    await expect(
      query(
        url,
        `INSERT INTO history_entries (id, tenant_id, example_id, question, ok, duration_ms)
           VALUES ('his_y', 'ten_a', 'ex_b', 'q', true, 1)`,
      ),
    ).rejects.toThrow(/history_entries_example_tenant_fkey/);
  });

  it('deleting the connector still removes its rows, and keeps examples and history with their tenant', async () => {
    await query(url, "DELETE FROM connectors WHERE id = 'conn_a'");
    for (const table of ['sync_runs', 'documents', 'schema_snapshots', 'schema_annotations']) {
      expect(await query(url, `SELECT 1 FROM ${table}`)).toEqual([]);
    }
    expect(await query(url, "SELECT tenant_id, connector_id FROM examples WHERE id = 'ex_x'")).toEqual([
      { tenant_id: 'ten_a', connector_id: null },
    ]);
    expect(await query(url, "SELECT tenant_id, connector_id FROM history_entries WHERE id = 'his_x'")).toEqual([
      { tenant_id: 'ten_a', connector_id: null },
    ]);
  });

  it('refuses a document of a missing connector, and deleting a tenant removes its documents', async () => {
    // Only the (connector_id, tenant_id) reference guards documents; it covers both single ones.
    await expect(
      query(
        url,
        `INSERT INTO documents (id, tenant_id, connector_id, external_id, kind, name, status, metadata)
           VALUES ('doc_none', 'ten_a', 'conn_none', 'a.csv', 'file', 'a.csv', 'synced', '{}')`,
      ),
    ).rejects.toThrow(/documents_connector_tenant_fkey/);
    await query(url, "INSERT INTO tenants (id, name) VALUES ('ten_c', 'Initech')");
    await query(url, "INSERT INTO connectors (id, tenant_id, name, type) VALUES ('conn_c', 'ten_c', 'C', 'sqlite')");
    await query(
      url,
      `INSERT INTO documents (id, tenant_id, connector_id, external_id, kind, name, status, metadata)
         VALUES ('doc_c', 'ten_c', 'conn_c', 'c.csv', 'file', 'c.csv', 'synced', '{}')`,
    );
    await query(url, "DELETE FROM tenants WHERE id = 'ten_c'");
    expect(await query(url, "SELECT 1 FROM documents WHERE tenant_id = 'ten_c'")).toEqual([]);
  });

  it('undoes and redoes cleanly', async () => {
    // Back to before this migration, through the ones added after it, then forward again.
    const undone = MIGRATIONS.slice(MIGRATIONS.findIndex((m) => m.name === 'TenantScopedReferences1764750000000'));
    const dataSource = new DataSource({ type: 'postgres', url, migrations: MIGRATIONS });
    await dataSource.initialize();
    try {
      for (let i = 0; i < undone.length; i++) await dataSource.undoLastMigration();
    } finally {
      await dataSource.destroy();
    }
    expect(await runMigrations(url)).toEqual(undone.map((m) => m.name));
  });
});
