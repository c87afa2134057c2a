import { Injectable } from '@nestjs/common';
import { isPermanent, JobHandler, JobName, RefreshSchemaPayload } from '@sluice/core';
import type { Job } from 'bull';
import { SchemaService } from '../schema.service';

/** Re-introspects a connector's schema into the cache; transient failures retry with Bull's backoff. */
@Injectable()
export class SchemaRefreshProcessor {
  constructor(private readonly schema: SchemaService) {}

  @JobHandler(JobName.RefreshSchema)
  async handle(job: Job<RefreshSchemaPayload>): Promise<{ tables: number; fingerprint: string }> {
    try {
      const snapshot = await this.schema.refresh(job.data.tenantId, job.data.connectorId);
      return { tables: snapshot.tables.length, fingerprint: snapshot.fingerprint };
    } catch (error) {
      // A deleted connector or a broken configuration will not mend by waiting.
      if (isPermanent(error)) await job.discard();
      throw error;
    }
  }
}
