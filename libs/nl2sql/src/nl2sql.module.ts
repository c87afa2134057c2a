import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectorsModule } from '@sluice/connectors/connectors.module';
import { ExamplesModule } from '@sluice/examples/examples.module';
import { HistoryModule } from '@sluice/history/history.module';
import { SchemaModule } from '@sluice/schema/schema.module';
import { SqlGuard } from './guard/sql-guard';
import { LlmSettingsEntity } from './llm/llm-settings.entity';
import { LlmService } from './llm/llm.service';
import { Nl2sqlService } from './nl2sql.service';

/** Questions to guarded SQL: the LLM, the guard, and the loop between them. */
@Module({
  imports: [
    TypeOrmModule.forFeature([LlmSettingsEntity]),
    ConnectorsModule,
    SchemaModule,
    ExamplesModule,
    HistoryModule,
  ],
  providers: [LlmService, SqlGuard, Nl2sqlService],
  exports: [LlmService, SqlGuard, Nl2sqlService],
})
export class Nl2sqlModule {}
