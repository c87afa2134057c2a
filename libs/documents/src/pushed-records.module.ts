import { Module } from '@nestjs/common';
import { PUSHED_RECORDS } from '@sluice/connectors';
import { DocumentsModule } from './documents.module';
import { PushedRecordsStore } from './pushed-records.store';

/** Gives the webhook route (connectors lib) the store of pushed records, as PUSHED_RECORDS. */
@Module({
  imports: [DocumentsModule],
  providers: [{ provide: PUSHED_RECORDS, useClass: PushedRecordsStore }],
  exports: [PUSHED_RECORDS],
})
export class PushedRecordsModule {}
