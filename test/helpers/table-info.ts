import type { TableInfo } from '@sluice/connectors';

/** A table as introspection returns it, with text columns and no keys: for unit tests of schema logic. */
export function tableInfo(schema: string | null, name: string, columns: string[]): TableInfo {
  return {
    schema,
    name,
    kind: 'table',
    comment: null,
    rowEstimate: null,
    columns: columns.map((c) => ({
      name: c,
      type: 'text',
      nullable: true,
      default: null,
      primaryKey: false,
      comment: null,
    })),
    primaryKey: [],
    foreignKeys: [],
  };
}
