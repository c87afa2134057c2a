import type { RefreshSchemaPayload } from '@sluice/core';
import { FakeJob, TENANT_A, TENANT_B } from '../../../../test/fakes/common';
import { schemaWorld, table } from '../../../../test/fakes/schema';
import { SchemaRefreshProcessor } from './schema-refresh.processor';

describe('SchemaRefreshProcessor', () => {
  let world: ReturnType<typeof schemaWorld>;
  let processor: SchemaRefreshProcessor;
  let sqlId: string;

  beforeEach(() => {
    world = schemaWorld();
    world.source.tables = [table('public', 'orders', ['id']), table('public', 'customers', ['id'])];
    processor = new SchemaRefreshProcessor(world.service);
    sqlId = world.connectors.add({ type: 'postgresql' }).id;
  });

  const job = (tenantId: string, connectorId: string) => new FakeJob<RefreshSchemaPayload>({ tenantId, connectorId });

  it('introspects the connector into the cache and reports the table count and fingerprint', async () => {
    const result = await processor.handle(job(TENANT_A, sqlId).asJob());
    const cached = world.repo.snapshots.get(sqlId)!;
    expect(result).toEqual({ tables: 2, fingerprint: cached.fingerprint });
    expect(cached.tables.map((t) => t.name)).toEqual(['customers', 'orders']);
  });

  it('discards the job when the connector is gone or belongs to another tenant (nothing to retry)', async () => {
    const gone = job(TENANT_B, sqlId);
    await expect(processor.handle(gone.asJob())).rejects.toMatchObject({ code: 'CONNECTOR_NOT_FOUND' });
    expect(gone.discarded).toBe(true);
    expect(world.repo.snapshots.size).toBe(0);
  });

  it('discards the job for a connector without SQL', async () => {
    const folder = world.connectors.add({ type: 'folder' });
    const refused = job(TENANT_A, folder.id);
    await expect(processor.handle(refused.asJob())).rejects.toMatchObject({ code: 'SCHEMA_NOT_SUPPORTED' });
    expect(refused.discarded).toBe(true);
  });

  it('keeps the job for Bull to retry when the database is only unreachable, and keeps the old cache', async () => {
    await processor.handle(job(TENANT_A, sqlId).asJob());
    const before = world.repo.snapshots.get(sqlId)!.fingerprint;
    world.source.fail = new Error('ECONNREFUSED');
    const flaky = job(TENANT_A, sqlId);
    await expect(processor.handle(flaky.asJob())).rejects.toThrow('ECONNREFUSED');
    expect(flaky.discarded).toBe(false);
    expect(world.repo.snapshots.get(sqlId)!.fingerprint).toBe(before);
  });
});
