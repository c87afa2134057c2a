import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { LLM_PROVIDERS, LlmProvider } from '../llm/llm-settings.entity';

export class PutLlmSettingsDto {
  @ApiProperty({
    enum: LLM_PROVIDERS,
    example: 'openai',
    description: '`openai` also covers any OpenAI-compatible server',
  })
  @IsIn([...LLM_PROVIDERS])
  provider: LlmProvider;

  @ApiProperty({ example: 'gpt-4o-mini' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'API base URL: vLLM, LM Studio, llama.cpp, Ollama (`http://host:11434/v1` for openai, or its root for ollama)',
    example: 'https://api.openai.com/v1',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  baseUrl?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'Omitted or `********`: the stored key is kept, unless provider or baseUrl changes (then the key must be sent ' +
      'again: 400 CREDENTIALS_REQUIRED). A value: replaces it. null: removes it. Never returned.',
    example: 'sk-...',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  apiKey?: string | null;

  @ApiPropertyOptional({ minimum: 0, maximum: 2, example: 0 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ minimum: 16, maximum: 200000, example: 1024 })
  @IsOptional()
  @IsInt()
  @Min(16)
  @Max(200_000)
  maxTokens?: number;

  @ApiPropertyOptional({ minimum: 100, maximum: 600000, example: 60000 })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  timeoutMs?: number;
}

export class LlmSettingsResponseDto {
  @ApiProperty({
    enum: ['tenant', 'environment', 'none'],
    description: "Where the settings come from: the tenant's own, the server's defaults, or none (NL2SQL answers 503)",
    example: 'tenant',
  })
  source: 'tenant' | 'environment' | 'none';
  @ApiProperty({ enum: LLM_PROVIDERS, nullable: true, example: 'openai' }) provider: LlmProvider | null;
  @ApiProperty({ type: String, nullable: true, example: 'gpt-4o-mini' }) model: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'https://api.openai.com/v1' }) baseUrl: string | null;
  @ApiProperty({ description: 'Whether an API key is stored (it is never returned)', example: true })
  apiKeySet: boolean;
  @ApiProperty({ example: 0 }) temperature: number;
  @ApiProperty({ example: 1024 }) maxTokens: number;
  @ApiProperty({ example: 60000 }) timeoutMs: number;
}
