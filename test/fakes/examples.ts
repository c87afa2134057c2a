import { ExampleChecker, ExampleService } from '@sluice/examples';
import type { ConnectorRegistry, ConnectorService } from '@sluice/connectors';
import type { Keyset } from '@sluice/core';
import type { ExampleEntity, ExampleFilter, ExampleRepository } from '@sluice/examples/testing';
import { clone, nextDate } from './common';
import { keysetPage } from './documents';
import { schemaWorld } from './schema';

/** ExampleRepository over a Map, scoped by tenant like the SQL. */
export class FakeExampleRepository implements Omit<ExampleRepository, 'candidates'> {
  readonly rows = new Map<string, ExampleEntity>();

  async page(
    tenantId: string,
    filter: ExampleFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[ExampleEntity[], number]> {
    const q = filter.q?.toLowerCase();
    const matching = [...this.rows.values()].filter(
      (e) =>
        e.tenantId === tenantId &&
        (!filter.connectorId || e.connectorId === filter.connectorId) &&
        (!filter.tag || e.tags.includes(filter.tag)) &&
        (!q || e.question.toLowerCase().includes(q) || e.sql.toLowerCase().includes(q)),
    );
    return [keysetPage(matching, limit, after).map(clone), matching.length];
  }

  async findOne(tenantId: string, id: string): Promise<ExampleEntity | null> {
    const found = this.rows.get(id);
    return found?.tenantId === tenantId ? clone(found) : null;
  }

  async insert(values: Omit<ExampleEntity, 'createdAt' | 'updatedAt'>): Promise<ExampleEntity> {
    const at = nextDate();
    this.rows.set(values.id, { ...clone(values), createdAt: at, updatedAt: at });
    return clone(this.rows.get(values.id)!);
  }

  async update(tenantId: string, id: string, changes: Partial<ExampleEntity>): Promise<void> {
    const found = this.rows.get(id);
    if (found?.tenantId === tenantId) Object.assign(found, clone(changes), { updatedAt: nextDate() });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    return this.rows.get(id)?.tenantId === tenantId && this.rows.delete(id);
  }
}

/** A real ExampleService and ExampleChecker over fakes, with the SQL connectors of `schemaWorld`. */
export function examplesWorld() {
  const schema = schemaWorld();
  const repo = new FakeExampleRepository();
  const checker = new ExampleChecker(
    schema.connectors as unknown as ConnectorService,
    schema.registry as unknown as ConnectorRegistry,
    schema.service,
  );
  const service = new ExampleService(repo as unknown as ExampleRepository, checker);
  return { ...schema, schema: schema.service, examples: repo, service };
}
