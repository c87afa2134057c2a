import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { newId, Keyset } from '@sluice/core';
import { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm';
import { ConnectorEntity } from './connector.entity';
import type { ConnectorRole, ConnectorStatus } from './connector.types';

export interface ConnectorFilter {
  type?: string;
  status?: ConnectorStatus;
  role?: ConnectorRole;
  q?: string;
}

/** What a caller decides about a new connector; the rest starts empty. */
export type NewConnector = Pick<
  ConnectorEntity,
  | 'tenantId'
  | 'name'
  | 'type'
  | 'role'
  | 'description'
  | 'config'
  | 'authMethod'
  | 'authConfig'
  | 'status'
  | 'managed'
  | 'createdBy'
>;

export type ConnectorChanges = Partial<
  Omit<ConnectorEntity, 'id' | 'tenantId' | 'createdAt' | 'updatedAt' | 'createdBy'>
>;

// Timestamps travel as whole epoch milliseconds (what a Date holds; floor, as the driver's own
// parse truncates the microseconds): a number is far cheaper to read than a timestamp's text.
const epochMs = (column: string): string => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

/** Every column of a connector for a raw read, under the names PageRow gives them. */
const PAGE_COLUMNS = [
  'c.id AS "id"',
  'c.tenant_id AS "tenantId"',
  'c.name AS "name"',
  'c.type AS "type"',
  'c.role AS "role"',
  'c.description AS "description"',
  'c.config AS "config"',
  'c.auth_method AS "authMethod"',
  'c.auth_config AS "authConfig"',
  'c.status AS "status"',
  'c.managed AS "managed"',
  'c.metadata AS "metadata"',
  `${epochMs('c.last_tested_at')} AS "lastTestedAt"`,
  'c.last_error AS "lastError"',
  `${epochMs('c.last_sync_at')} AS "lastSyncAt"`,
  'c.last_sync_row_count AS "lastSyncRowCount"',
  `${epochMs('c.last_used_at')} AS "lastUsedAt"`,
  'c.created_by AS "createdBy"',
  `${epochMs('c.created_at')} AS "createdAt"`,
  `${epochMs('c.updated_at')} AS "updatedAt"`,
].join(', ');

type Timestamps = 'lastTestedAt' | 'lastSyncAt' | 'lastUsedAt' | 'createdAt' | 'updatedAt';

/** A row of the page statement: the entity's columns with epoch-ms timestamps, and the total. */
type PageRow = Omit<ConnectorEntity, Timestamps | 'id'> & {
  id: string | null;
  total: number;
  lastTestedAt: number | null;
  lastSyncAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
  updatedAt: number;
};

const dateOrNull = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** The entity of a page row, built field by field (one object of a fixed shape per row). */
function fromPageRow(r: PageRow): ConnectorEntity {
  return {
    id: r.id!,
    tenantId: r.tenantId,
    name: r.name,
    type: r.type,
    role: r.role,
    description: r.description,
    config: r.config,
    authMethod: r.authMethod,
    authConfig: r.authConfig,
    status: r.status,
    managed: r.managed,
    metadata: r.metadata,
    lastTestedAt: dateOrNull(r.lastTestedAt),
    lastError: r.lastError,
    lastSyncAt: dateOrNull(r.lastSyncAt),
    lastSyncRowCount: r.lastSyncRowCount,
    lastUsedAt: dateOrNull(r.lastUsedAt),
    createdBy: r.createdBy,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

/** The only place that queries connectors; every method is scoped to a tenant. */
@Injectable()
export class ConnectorRepository {
  constructor(@InjectRepository(ConnectorEntity) private readonly orm: Repository<ConnectorEntity>) {}

  findOne(tenantId: string, id: string): Promise<ConnectorEntity | null> {
    return this.orm.findOne({ where: { tenantId, id } });
  }

  /**
   * The one lookup without a tenant: an inbound push (POST /hooks/{id}) carries no token, so its
   * tenant is the connector's own, and the push is trusted only once its signature checks out
   * with that connector's secret. Only types fed by pushes are found.
   */
  findPushTarget(id: string, types: string[]): Promise<ConnectorEntity | null> {
    if (types.length === 0) return Promise.resolve(null);
    return this.orm.findOne({ where: types.map((type) => ({ id, type })) });
  }

  findByName(tenantId: string, name: string): Promise<ConnectorEntity | null> {
    return this.orm
      .createQueryBuilder('c')
      .where('c.tenant_id = :tenantId AND lower(c.name) = lower(:name)', { tenantId, name })
      .getOne();
  }

  /**
   * One page, newest first, and the total of the filter, in a single statement: the count is an
   * uncorrelated subquery (evaluated once), and the page is joined laterally to one constant row
   * so an empty page still brings the total back. Rows are built straight from the driver's rows,
   * without a query builder or entity hydration: this list is the API's busiest read.
   */
  async page(
    tenantId: string,
    filter: ConnectorFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[ConnectorEntity[], number]> {
    const params: unknown[] = [tenantId];
    const where = ['c.tenant_id = $1'];
    const bind = (value: unknown): string => `$${params.push(value)}`;
    if (filter.type) where.push(`c.type = ${bind(filter.type)}`);
    if (filter.status) where.push(`c.status = ${bind(filter.status)}`);
    if (filter.role) where.push(`c.role = ${bind(filter.role)}`);
    if (filter.q) {
      const q = bind(`%${filter.q.replace(/[\\%_]/g, '\\$&')}%`);
      where.push(`(c.name ILIKE ${q} OR c.description ILIKE ${q})`);
    }
    const filtered = where.join(' AND ');
    const pageWhere = after
      ? `${filtered} AND (c.created_at, c.id) < (${bind(after.createdAt)}, ${bind(after.id)})`
      : filtered;
    const sql = `
      SELECT (SELECT count(*) FROM connectors c WHERE ${filtered})::int AS "total", page.*
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (
        SELECT ${PAGE_COLUMNS} FROM connectors c WHERE ${pageWhere}
        ORDER BY c.created_at DESC, c.id DESC LIMIT ${bind(limit + 1)}
      ) page ON true`;
    const raw = (await this.orm.query(sql, params)) as PageRow[];
    // An empty page is one row of nulls beside the total.
    const rows = raw[0]?.id === null ? [] : raw.map(fromPageRow);
    return [rows, raw[0]?.total ?? 0];
  }

  insert(values: NewConnector): Promise<ConnectorEntity> {
    return this.orm.save(
      this.orm.create({
        id: newId('connector'),
        metadata: {},
        lastTestedAt: null,
        lastError: null,
        lastSyncAt: null,
        lastSyncRowCount: null,
        lastUsedAt: null,
        ...values,
      }),
    );
  }

  async update(tenantId: string, id: string, changes: ConnectorChanges): Promise<void> {
    // TypeORM's deep-partial type does not accept open jsonb records; the columns are ours.
    if (Object.keys(changes).length)
      await this.orm.update({ tenantId, id }, changes as QueryDeepPartialEntity<ConnectorEntity>);
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.orm.delete({ tenantId, id });
  }
}
