import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectorsModule } from '@sluice/connectors';
import { QueueModule } from '@sluice/core';
import { AnnotationService } from './annotation.service';
import { SchemaAnnotationEntity } from './schema-annotation.entity';
import { SchemaSnapshotEntity } from './schema-snapshot.entity';
import { SchemaRepository } from './schema.repository';
import { SchemaService } from './schema.service';

/** Domain of schemas: the introspection cache and the annotations of SQL connectors. */
@Module({
  imports: [TypeOrmModule.forFeature([SchemaSnapshotEntity, SchemaAnnotationEntity]), ConnectorsModule, QueueModule],
  providers: [SchemaRepository, SchemaService, AnnotationService],
  exports: [SchemaService, AnnotationService, SchemaRepository],
})
export class SchemaModule {}
