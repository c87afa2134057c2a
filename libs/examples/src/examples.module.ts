import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectorsModule } from '@sluice/connectors';
import { SchemaModule } from '@sluice/schema';
import { ExampleChecker } from './example-checker';
import { ExampleEntity } from './example.entity';
import { ExampleRepository } from './example.repository';
import { ExampleService } from './example.service';
import { EXAMPLE_RANKER } from './retrieval/example-ranker';
import { exampleRankerFor } from './retrieval/hybrid-ranker';
import { EnvDto, SafeNetwork } from '@sluice/core';
import { ExampleRetriever } from './retrieval/example-retriever';

/**
 * Domain of few-shot examples: the resource and its retrieval. NL2SQL imports this module and
 * uses ExampleRetriever. Ranking is BM25, fused with embeddings when EMBEDDINGS_PROVIDER is set.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ExampleEntity]), ConnectorsModule, SchemaModule],
  providers: [
    ExampleRepository,
    ExampleChecker,
    ExampleService,
    ExampleRetriever,
    { provide: EXAMPLE_RANKER, useFactory: exampleRankerFor, inject: [EnvDto, SafeNetwork] },
  ],
  exports: [ExampleService, ExampleRetriever],
})
export class ExamplesModule {}
