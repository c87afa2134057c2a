import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HistoryEntryEntity } from './history-entry.entity';
import { HistoryRepository } from './history.repository';
import { HistoryService } from './history.service';

/** Domain of query history. NL2SQL imports it and calls HistoryService.record after each question. */
@Module({
  imports: [TypeOrmModule.forFeature([HistoryEntryEntity])],
  providers: [HistoryRepository, HistoryService],
  exports: [HistoryService],
})
export class HistoryModule {}
