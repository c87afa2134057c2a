import { Module } from '@nestjs/common';
import { DocumentService, DocumentsModule } from '@sluice/documents';
import { TRAINED_TABLES, TrainedTables } from '@sluice/schema';

/**
 * The trained marks of table documents, as schema reads them. Schema and documents are siblings,
 * so the layer above both joins them; the API app hands this module to SchemaHttpModule.
 */
@Module({
  imports: [DocumentsModule],
  providers: [
    {
      provide: TRAINED_TABLES,
      inject: [DocumentService],
      useFactory: (documents: DocumentService): TrainedTables => ({
        trainedTables: (tenantId, connectorId) => documents.trainedTables(tenantId, connectorId),
      }),
    },
  ],
  exports: [TRAINED_TABLES],
})
export class TrainedTablesModule {}
