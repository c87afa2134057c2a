import { DiscoveredItem, TableInfo } from '../../plugin/connector-plugin';
import { sha256 } from './sql-ddl';

export const DISCOVERY_BATCH_SIZE = 500;

/** One document per table or view; the checksum follows the DDL, so only a schema change re-syncs it. */
export function tableItem(table: TableInfo, ddl: string): DiscoveredItem {
  return {
    externalId: table.schema ? `${table.schema}.${table.name}` : table.name,
    kind: table.kind,
    name: table.name,
    checksum: sha256(ddl),
    metadata: { ddl, columns: table.columns, rowEstimate: table.rowEstimate },
  };
}

export async function* inBatches<T>(items: T[], size = DISCOVERY_BATCH_SIZE): AsyncIterable<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
