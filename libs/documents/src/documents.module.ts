import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectorsModule } from '@sluice/connectors';
import { QueueModule } from '@sluice/core';
import { DocumentEntity } from './document.entity';
import { DocumentRepository } from './document.repository';
import { DocumentService } from './document.service';
import { SyncRunEntity } from './sync-run.entity';
import { SyncRunRepository } from './sync-run.repository';
import { SyncService } from './sync.service';

/** Domain of documents: sync runs, the documents they produce, and starting or stopping a sync. */
@Module({
  imports: [TypeOrmModule.forFeature([DocumentEntity, SyncRunEntity]), ConnectorsModule, QueueModule],
  providers: [DocumentRepository, SyncRunRepository, SyncService, DocumentService],
  exports: [DocumentRepository, SyncRunRepository, SyncService, DocumentService, ConnectorsModule],
})
export class DocumentsModule {}
