import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConnectorsModule } from '@sluice/connectors';
import { ExamplesModule } from '@sluice/examples';
import { HistoryModule } from '@sluice/history';
import { SchemaModule } from '@sluice/schema';
import { SqlGuard } from './guard/sql-guard';
import { LlmSettingsEntity } from './llm/llm-settings.entity';
import { LlmService } from './llm/llm.service';
import { Nl2sqlService } from './nl2sql.service';
import { PromoteHistoryService } from './promote-history.service';
import { QuestionContextService } from './question-context';
import { SqlExecutor } from './sql-executor';
import { SqlToolsService } from './sql-tools.service';
import { TrainedTablesModule } from './trained-tables.module';

/** Questions to guarded SQL: the LLM, the guard, and the loop between them. */
@Module({
  imports: [
    TypeOrmModule.forFeature([LlmSettingsEntity]),
    ConnectorsModule,
    SchemaModule,
    ExamplesModule,
    HistoryModule,
    TrainedTablesModule,
  ],
  providers: [
    LlmService,
    SqlGuard,
    QuestionContextService,
    SqlExecutor,
    Nl2sqlService,
    SqlToolsService,
    PromoteHistoryService,
  ],
  exports: [LlmService, SqlGuard, Nl2sqlService, SqlToolsService, PromoteHistoryService],
})
export class Nl2sqlModule {}
