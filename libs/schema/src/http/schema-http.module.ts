import { DynamicModule, Module, Type } from '@nestjs/common';
import { SchemaViewService } from '../schema-view.service';
import { SchemaModule } from '../schema.module';
import { SchemaController } from './schema.controller';

/** The HTTP routes of schemas and annotations; imported by the API app only. */
@Module({})
export class SchemaHttpModule {
  /** `trainedTables`: a module exporting TRAINED_TABLES (the trained marks live with the documents). */
  static register(trainedTables: Type | DynamicModule): DynamicModule {
    return {
      module: SchemaHttpModule,
      imports: [SchemaModule, trainedTables],
      providers: [SchemaViewService],
      controllers: [SchemaController],
    };
  }
}
