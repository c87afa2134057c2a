import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents.module';
import { DocumentController } from './document.controller';
import { SyncController } from './sync.controller';

/** The HTTP routes of syncs and documents; imported by the API app only. */
@Module({
  imports: [DocumentsModule],
  controllers: [SyncController, DocumentController],
})
export class DocumentsHttpModule {}
