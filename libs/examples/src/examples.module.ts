import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectorsModule } from '@sluice/connectors/connectors.module';
import { SchemaModule } from '@sluice/schema/schema.module';
import { ExampleChecker } from './example-checker';
import { ExampleEntity } from './example.entity';
import { ExampleRepository } from './example.repository';
import { ExampleService } from './example.service';
import { Bm25ExampleRanker, EXAMPLE_RANKER } from './retrieval/example-ranker';
import { ExampleRetriever } from './retrieval/example-retriever';

/**
 * Domain of few-shot examples: the resource and its retrieval. NL2SQL imports this module and
 * uses ExampleRetriever; to rank by embeddings, provide EXAMPLE_RANKER with another ExampleRanker.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ExampleEntity]), ConnectorsModule, SchemaModule],
  providers: [
    ExampleRepository,
    ExampleChecker,
    ExampleService,
    ExampleRetriever,
    { provide: EXAMPLE_RANKER, useClass: Bm25ExampleRanker },
  ],
  exports: [ExampleService, ExampleRetriever],
})
export class ExamplesModule {}
