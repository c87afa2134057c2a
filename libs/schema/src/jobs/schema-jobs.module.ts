import { Module } from '@nestjs/common';
import { SchemaModule } from '../schema.module';
import { SchemaRefreshProcessor } from './schema-refresh.processor';

/** The job processors of schemas; imported by the worker app only. */
@Module({
  imports: [SchemaModule],
  providers: [SchemaRefreshProcessor],
})
export class SchemaJobsModule {}
