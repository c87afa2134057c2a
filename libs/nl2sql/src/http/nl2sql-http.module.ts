import { Module } from '@nestjs/common';
import { Nl2sqlModule } from '../nl2sql.module';
import { LlmSettingsController } from './llm-settings.controller';
import { Nl2sqlController } from './nl2sql.controller';

/** The HTTP routes of NL2SQL and of the LLM settings; imported by the API app only. */
@Module({
  imports: [Nl2sqlModule],
  controllers: [Nl2sqlController, LlmSettingsController],
})
export class Nl2sqlHttpModule {}
