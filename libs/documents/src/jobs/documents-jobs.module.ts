import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobRunner, QueueModule } from '@sluice/core';
import { DocumentsModule } from '../documents.module';
import { ConnectorSyncProcessor } from './connector-sync.processor';
import { DocumentSyncProcessor } from './document-sync.processor';

/** The job processors of documents; imported by the worker app only. */
@Module({
  imports: [DocumentsModule, QueueModule, DiscoveryModule],
  providers: [ConnectorSyncProcessor, DocumentSyncProcessor, JobRunner],
})
export class DocumentsJobsModule {}
