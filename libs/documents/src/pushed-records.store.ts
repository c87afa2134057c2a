import { Injectable } from '@nestjs/common';
import type { DiscoveredItem, PushCounts, PushedRecords } from '@sluice/connectors';
import { DocumentRepository } from './document.repository';

const UNIQUE_VIOLATION = '23505';

/**
 * Stores the records of an accepted webhook push as documents of the connector, in one
 * transaction: all of them or none. Seen by no sync run, so no sync ever prunes them.
 */
@Injectable()
export class PushedRecordsStore implements PushedRecords {
  constructor(private readonly documents: DocumentRepository) {}

  store(target: { tenantId: string; connectorId: string }, items: DiscoveredItem[]): Promise<PushCounts> {
    if (items.length === 0) return Promise.resolve({ created: 0, updated: 0, unchanged: 0 });
    return this.upsert(target, items).catch((error: unknown) => {
      // Two pushes of the same new record at once: the second insert loses the race; once more,
      // it finds the record and updates it.
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      return this.upsert(target, items);
    });
  }

  private upsert(target: { tenantId: string; connectorId: string }, items: DiscoveredItem[]): Promise<PushCounts> {
    return this.documents.transaction((manager) =>
      this.documents.upsertBatch(manager, { ...target, runId: null }, items, false),
    );
  }
}
