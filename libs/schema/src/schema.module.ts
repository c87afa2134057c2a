import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueModule } from '@sluice/core/queue/queue.module';
import { DocumentsModule } from '@sluice/documents/documents.module';
import { AnnotationService } from './annotation.service';
import { SchemaAnnotationEntity } from './schema-annotation.entity';
import { SchemaSnapshotEntity } from './schema-snapshot.entity';
import { SchemaViewService } from './schema-view.service';
import { SchemaRepository } from './schema.repository';
import { SchemaService } from './schema.service';

/** Domain of schemas: the introspection cache and the annotations of SQL connectors. */
@Module({
  imports: [TypeOrmModule.forFeature([SchemaSnapshotEntity, SchemaAnnotationEntity]), DocumentsModule, QueueModule],
  providers: [SchemaRepository, SchemaService, SchemaViewService, AnnotationService],
  exports: [SchemaService, SchemaViewService, AnnotationService, SchemaRepository],
})
export class SchemaModule {}
