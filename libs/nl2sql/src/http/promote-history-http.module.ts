import { Module } from '@nestjs/common';
import { Nl2sqlModule } from '../nl2sql.module';
import { PromoteHistoryController } from './promote-history.controller';

/**
 * The promote route of history, served from here (it writes an example too). Its own module so
 * the API app can list it right after HistoryHttpModule, keeping the route with history's.
 */
@Module({
  imports: [Nl2sqlModule],
  controllers: [PromoteHistoryController],
})
export class PromoteHistoryHttpModule {}
