import { Module } from '@nestjs/common';
import { HistoryModule } from '../history.module';
import { HistoryController } from './history.controller';

/** The HTTP routes of query history; imported by the API app only. */
@Module({
  imports: [HistoryModule],
  controllers: [HistoryController],
})
export class HistoryHttpModule {}
