import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ExamplesModule } from '@sluice/examples/examples.module';
import { HistoryEntryEntity } from './history-entry.entity';
import { HistoryRepository } from './history.repository';
import { HistoryService } from './history.service';

/** Domain of query history. NL2SQL imports it and calls HistoryService.record after each question. */
@Module({
  imports: [TypeOrmModule.forFeature([HistoryEntryEntity]), ExamplesModule],
  providers: [HistoryRepository, HistoryService],
  exports: [HistoryService],
})
export class HistoryModule {}
