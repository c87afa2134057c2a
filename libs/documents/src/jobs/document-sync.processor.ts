import { Injectable, Logger } from '@nestjs/common';
import { ConnectorRuntime, ConnectorService } from '@sluice/connectors';
import type { ConnectorContext, ConnectorPlugin, DiscoveredItem } from '@sluice/connectors';
import {
  DomainError,
  isLastAttempt,
  isPermanent,
  messageOf,
  JobHandler,
  JobName,
  SyncDocumentPayload,
} from '@sluice/core';
import type { Job } from 'bull';
import { DocumentEntity } from '../document.entity';
import { DocumentRepository, fieldsFromItem } from '../document.repository';

// One file or one table: minutes at most, unless the source hangs.
const DOCUMENT_DEADLINE_MS = 10 * 60 * 1000;

type Outcome = 'synced' | 'deleted' | 'stopped';

/**
 * Syncs one document again: finds its item at the source (the plugin's lookup, or a walk of
 * discover() for plugins without one) and writes it, or marks the document deleted when the
 * source no longer has it. Every write is conditional on the document still being `syncing`,
 * so a stop that has answered is never overwritten.
 */
@Injectable()
export class DocumentSyncProcessor {
  private readonly logger = new Logger('DocumentSync');

  constructor(
    private readonly documents: DocumentRepository,
    private readonly connectors: ConnectorService,
    private readonly runtime: ConnectorRuntime,
  ) {}

  @JobHandler(JobName.SyncDocument)
  async handle(job: Job<SyncDocumentPayload>): Promise<Outcome | undefined> {
    const { tenantId, connectorId, documentId } = job.data;
    const doc = await this.documents.claim(tenantId, documentId);
    if (!doc) return undefined;
    try {
      const connector = await this.connectors.find(tenantId, connectorId);
      const { registered, parsed } = this.runtime.open(connector);
      const ctx = this.runtime.context(tenantId, connectorId, parsed, DOCUMENT_DEADLINE_MS);
      const item = await this.find(registered.plugin, ctx, doc);
      if (item === 'stopped') return 'stopped';
      const written = item
        ? await this.documents.finishSync(tenantId, documentId, {
            ...fieldsFromItem(item, doc.metadata),
            status: 'synced',
            error: null,
            syncedAt: new Date(),
          })
        : await this.documents.finishSync(tenantId, documentId, { status: 'deleted' });
      if (!written) return 'stopped';
      return item ? 'synced' : 'deleted';
    } catch (error) {
      return this.failed(job, error);
    }
  }

  private async find(
    plugin: ConnectorPlugin<unknown>,
    ctx: ConnectorContext<unknown>,
    doc: DocumentEntity,
  ): Promise<DiscoveredItem | null | 'stopped'> {
    if (plugin.lookup) return plugin.lookup(ctx, doc.externalId);
    if (!plugin.discover) {
      throw new DomainError(400, 'SYNC_NOT_SUPPORTED', 'Documents of this connector type cannot be synced');
    }
    for await (const batch of plugin.discover(ctx)) {
      const found = batch.find((item) => item.externalId === doc.externalId);
      if (found) return found;
      // A stop between batches ends a long walk early instead of finishing it for nothing.
      if ((await this.documents.findOne(doc.tenantId, doc.connectorId, doc.id))?.status !== 'syncing') {
        return 'stopped';
      }
    }
    return null;
  }

  /** Permanent errors fail the document at once; transient ones go back to `queued` for Bull's retry. */
  private async failed(job: Job<SyncDocumentPayload>, error: unknown): Promise<never> {
    const { tenantId, documentId } = job.data;
    const message = messageOf(error);
    if (isPermanent(error) || isLastAttempt(job)) {
      if (isPermanent(error)) await job.discard();
      await this.documents.finishSync(tenantId, documentId, { status: 'failed', error: message });
    } else {
      this.logger.warn({
        documentId,
        attempt: job.attemptsMade + 1,
        msg: `Document sync failed, will retry: ${message}`,
      });
      await this.documents.finishSync(tenantId, documentId, { status: 'queued', error: message });
    }
    throw error;
  }
}
