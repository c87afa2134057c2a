import type { TableInfo } from '@sluice/connectors';

/** A table as schema linking sees it: introspection plus what annotations and training add. Keys are unique. */
export interface LinkableTable {
  /** `schema.table` (`public.album`), or the bare name where the engine has no schemas (SQLite). */
  key: string;
  table: TableInfo;
  /** The annotation's description; the database comment when absent. */
  description?: string | null;
  tags?: string[];
  /** Annotation instructions ("amounts are in cents"). */
  context?: string | null;
  columnNotes?: Record<string, { description?: string | null; tags?: string[]; context?: string | null }>;
  /** Whether the table was trained (its document indexed): a sign the tenant cares about it. */
  trained?: boolean;
  /** Column → a few distinct values, where known. */
  sampleValues?: Record<string, string[]>;
}
