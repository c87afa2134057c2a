import { Module } from '@nestjs/common';
import { SchemaModule } from '../schema.module';
import { SchemaController } from './schema.controller';

/** The HTTP routes of schemas and annotations; imported by the API app only. */
@Module({
  imports: [SchemaModule],
  controllers: [SchemaController],
})
export class SchemaHttpModule {}
