import { Module } from '@nestjs/common';
import { DocumentsModule } from '../documents.module';
import { SyncController } from './sync.controller';

/** The HTTP routes of syncs and documents; imported by the API app only. */
@Module({
  imports: [DocumentsModule],
  controllers: [SyncController],
})
export class DocumentsHttpModule {}
