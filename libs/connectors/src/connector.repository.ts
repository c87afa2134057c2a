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

/**
 * A timestamp as JSON text the way Date#toISOString writes it (UTC, milliseconds, "Z"); to_char's
 * MS truncates the microseconds, as the epoch-millisecond read of `page` does.
 */
const isoText = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The public fields of a connector (ConnectorResponseDto, as mapConnector fills it) but the two
 * derived from its credentials, which only the server can open. row_to_json writes strings,
 * numbers (the bigint row count too), booleans, nulls and the jsonb columns as they are stored.
 */
const PUBLIC_JSON = `(SELECT row_to_json(r)::text FROM (SELECT
  c.id AS "id",
  c.name AS "name",
  c.type AS "type",
  c.role AS "role",
  c.description AS "description",
  c.config AS "config",
  c.auth_method AS "authMethod",
  c.status AS "status",
  c.managed AS "managed",
  c.metadata AS "metadata",
  ${isoText('c.last_tested_at')} AS "lastTestedAt",
  c.last_error AS "lastError",
  ${isoText('c.last_sync_at')} AS "lastSyncAt",
  c.last_sync_row_count AS "lastSyncRowCount",
  ${isoText('c.last_used_at')} AS "lastUsedAt",
  ${isoText('c.created_at')} AS "createdAt",
  ${isoText('c.updated_at')} AS "updatedAt"
) r)`;

const PAGE_JSON_COLUMNS = [
  'c.id AS "id"',
  'c.tenant_id AS "tenantId"',
  'c.auth_config AS "authConfig"',
  `${epochMs('c.created_at')} AS "createdAt"`,
  `${PUBLIC_JSON} AS "json"`,
].join(', ');

/** A row of `pageJson`: the JSON object of the public fields, and what the caller adds to it. */
export interface PageJsonRow {
  id: string;
  tenantId: string;
  /** The sealed credentials, for their masked field names. */
  authConfig: string | null;
  /** Epoch milliseconds, for the cursor. */
  createdAt: number;
  /** A JSON object: every public field except authConfigured and authConfig. */
  json: string;
}

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
   * without a query builder or entity hydration.
   */
  async page(
    tenantId: string,
    filter: ConnectorFilter,
    limit: number,
    after?: Keyset,
  ): Promise<[ConnectorEntity[], number]> {
    const raw = (await this.pageQuery(PAGE_COLUMNS, tenantId, filter, limit, after)) as PageRow[];
    // An empty page is one row of nulls beside the total.
    const rows = raw[0]?.id === null ? [] : raw.map(fromPageRow);
    return [rows, raw[0]?.total ?? 0];
  }

  /**
   * The same page as `page`, each row already written as JSON by PostgreSQL in the shape of the
   * public answer, credentials aside (see PageJsonRow). This list is the API's busiest read: the
   * rows reach Node as one text each, with no jsonb to parse, no Date to build and nothing to
   * serialise again.
   */
  async pageJson(
    tenantId: string,
    filter: ConnectorFilter,
    limit: number,
    after?: Keyset,
  ): Promise<{ rows: PageJsonRow[]; total: number }> {
    const raw = (await this.pageQuery(PAGE_JSON_COLUMNS, tenantId, filter, limit, after)) as Array<
      PageJsonRow & { id: string | null; total: number }
    >;
    const rows = raw[0]?.id === null ? [] : raw;
    return { rows, total: raw[0]?.total ?? 0 };
  }

  private pageQuery(
    columns: string,
    tenantId: string,
    filter: ConnectorFilter,
    limit: number,
    after?: Keyset,
  ): Promise<unknown[]> {
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
        SELECT ${columns} FROM connectors c WHERE ${pageWhere}
        ORDER BY c.created_at DESC, c.id DESC LIMIT ${bind(limit + 1)}
      ) page ON true`;
    return this.orm.query(sql, params);
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
