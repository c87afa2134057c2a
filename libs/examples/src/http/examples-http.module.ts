import { Module } from '@nestjs/common';
import { ExamplesModule } from '../examples.module';
import { ExampleController } from './example.controller';

/** The HTTP routes of examples; imported by the API app only. */
@Module({
  imports: [ExamplesModule],
  controllers: [ExampleController],
})
export class ExamplesHttpModule {}
