import { Body, Controller, Delete, Get, HttpCode, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '@sluice/auth';
import type { AuthContext } from '@sluice/auth';
import { ApiErrors } from '@sluice/core';
import { LlmService } from '../llm/llm.service';
import { LlmSettingsResponseDto, PutLlmSettingsDto } from '../dto/llm-settings.dto';

const ADMINS = { roles: ['admin' as const] };

@ApiTags('settings')
@Controller('settings/llm')
export class LlmSettingsController {
  constructor(private readonly llm: LlmService) {}

  @Get()
  @Authenticated(ADMINS)
  @ApiOperation({
    operationId: 'settings_getLlm',
    summary: "The tenant's LLM settings",
    description:
      "The tenant's own settings, else the server's defaults (`source` says which). The API key is never returned.",
  })
  @ApiOkResponse({ type: LlmSettingsResponseDto })
  get(@CurrentUser() auth: AuthContext): Promise<LlmSettingsResponseDto> {
    return this.llm.getSettings(auth);
  }

  @Put()
  @Authenticated(ADMINS)
  @ApiOperation({
    operationId: 'settings_putLlm',
    summary: "Set the tenant's LLM",
    description:
      'Provider (`openai` for OpenAI and any OpenAI-compatible server, `anthropic`, `ollama`), model, base URL, ' +
      'API key (encrypted at rest; omitted keeps the stored one, null removes it), temperature, max tokens and timeout. ' +
      'The base URL must pass the safe-network guard when it is used.',
  })
  @ApiOkResponse({ type: LlmSettingsResponseDto })
  @ApiErrors({ 400: 'Invalid settings, or CREDENTIALS_REQUIRED: provider or baseUrl changed without the apiKey' })
  put(@CurrentUser() auth: AuthContext, @Body() dto: PutLlmSettingsDto): Promise<LlmSettingsResponseDto> {
    return this.llm.putSettings(auth, dto);
  }

  @Delete()
  @HttpCode(204)
  @Authenticated(ADMINS)
  @ApiOperation({
    operationId: 'settings_deleteLlm',
    summary: "Drop the tenant's LLM settings (back to the server's defaults)",
    description:
      "Removes the tenant's provider, model and key, so NL2SQL falls back to the server's LLM settings (or answers 503 LLM_NOT_CONFIGURED without any). Admins only.",
  })
  @ApiNoContentResponse({ description: 'Removed' })
  async remove(@CurrentUser() auth: AuthContext): Promise<void> {
    await this.llm.deleteSettings(auth);
  }
}
