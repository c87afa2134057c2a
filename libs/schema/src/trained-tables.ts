/**
 * Which tables of a connector are marked trained (POST /connectors/{id}/train). The mark lives on
 * the table documents, a sibling feature schema must not import, so schema declares what it needs
 * here and the layer above both provides it.
 */
export interface TrainedTables {
  /** Table keys (`schema.table`) marked trained and still at the source. */
  trainedTables(tenantId: string, connectorId: string): Promise<Set<string>>;
}

export const TRAINED_TABLES = Symbol('TRAINED_TABLES');
