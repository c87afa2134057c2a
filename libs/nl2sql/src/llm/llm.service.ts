import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOllama } from '@langchain/ollama';
import { ChatOpenAI } from '@langchain/openai';
import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { AuthContext } from '@sluice/auth';
import {
  EnvDto,
  SecretBox,
  DomainError,
  findResponseTooLarge,
  MetricsService,
  safeFetch,
  SafeNetwork,
  SafeNetworkError,
} from '@sluice/core';
import { assertSecretsResent, changedDestinationFields, SECRET_MASK } from '@sluice/connectors';
import { DataSource, Repository } from 'typeorm';
import { LlmSettingsResponseDto, PutLlmSettingsDto } from '../dto/llm-settings.dto';
import { LlmProvider, LlmSettingsEntity } from './llm-settings.entity';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface LlmReply {
  text: string;
  usage: TokenUsage;
}

/** The settings a call uses, secrets opened. */
interface EffectiveLlm {
  source: 'tenant' | 'environment';
  provider: LlmProvider;
  model: string;
  baseUrl: string | null;
  apiKey: string | null;
  temperature: number;
  maxTokens: number;
  timeoutMs: number;
}

export const LLM_NOT_CONFIGURED = () =>
  new DomainError(
    503,
    'LLM_NOT_CONFIGURED',
    'No LLM is configured: set LLM_PROVIDER and LLM_MODEL (and LLM_BASE_URL / LLM_API_KEY as the provider needs) ' +
      'on the server, or have an admin call PUT /api/v1/settings/llm. Validate, execute and explain work without one.',
  );

const RETRY_BASE_MS = 250;

/** Where the API key is sent: a change to either needs the key again in the same request. */
const LLM_DESTINATION_FIELDS = ['provider', 'baseUrl'];

/** The HTTP status of a provider error, however the client wrapped it. */
function statusOf(error: unknown): number | undefined {
  const e = error as { status?: unknown; response?: { status?: unknown }; message?: unknown } | null;
  const status = e?.status ?? e?.response?.status ?? /^(\d{3})\b/.exec(String(e?.message ?? ''))?.[1];
  const n = Number(status);
  return Number.isInteger(n) && n >= 100 && n < 600 ? n : undefined;
}

const DEFAULT_MODEL: Record<LlmProvider, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-3-5-haiku-latest',
  ollama: 'llama3.1',
};

/**
 * The tenant's LLM through LangChain: OpenAI (and every OpenAI-compatible server), Anthropic and
 * Ollama. Every request leaves through the safe-network guard; timeouts and retries with backoff
 * on 429 and 5xx come from the settings; tokens are counted per tenant and day.
 */
@Injectable()
export class LlmService {
  private readonly fetch: typeof fetch;

  constructor(
    @InjectRepository(LlmSettingsEntity) private readonly settings: Repository<LlmSettingsEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly env: EnvDto,
    net: SafeNetwork,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.fetch = safeFetch(net, { maxResponseBytes: env.HTTP_RESPONSE_MAX_BYTES });
  }

  async isConfigured(tenantId: string): Promise<boolean> {
    return (await this.effective(tenantId)) !== null;
  }

  /** One chat completion; `signal` carries the question's remaining budget. */
  async chat(tenantId: string, turns: ChatTurn[], signal?: AbortSignal): Promise<LlmReply> {
    const settings = await this.effective(tenantId);
    if (!settings) throw LLM_NOT_CONFIGURED();
    const model = this.model(settings);
    const messages = turns.map((t) =>
      t.role === 'system'
        ? new SystemMessage(t.content)
        : t.role === 'user'
          ? new HumanMessage(t.content)
          : new AIMessage(t.content),
    );
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const started = performance.now();
    // Once per call: a failure after the reply (counting its tokens) is not a second call.
    let observed = false;
    const observe = (outcome: string, usage: TokenUsage = { promptTokens: 0, completionTokens: 0 }) => {
      if (observed) return;
      observed = true;
      const seconds = (performance.now() - started) / 1000;
      this.metrics?.llmCall({ provider: settings.provider, model: settings.model, outcome, seconds, ...usage });
    };
    try {
      const reply = await this.withRetries(() => model.invoke(messages, { signal: combined }), combined);
      const usage = {
        promptTokens: reply.usage_metadata?.input_tokens ?? 0,
        completionTokens: reply.usage_metadata?.output_tokens ?? 0,
      };
      observe('ok', usage);
      await this.count(tenantId, usage);
      const text =
        typeof reply.content === 'string'
          ? reply.content
          : reply.content.map((part) => ('text' in part ? String(part.text) : '')).join('');
      return { text, usage };
    } catch (error) {
      const explained = this.explain(error, combined, settings);
      observe(explained.code);
      throw explained;
    }
  }

  async getSettings(auth: AuthContext): Promise<LlmSettingsResponseDto> {
    const settings = await this.effective(auth.tenantId);
    if (!settings) {
      return {
        source: 'none',
        provider: null,
        model: null,
        baseUrl: null,
        apiKeySet: false,
        temperature: this.env.LLM_TEMPERATURE,
        maxTokens: this.env.LLM_MAX_TOKENS,
        timeoutMs: this.env.LLM_TIMEOUT_MS,
      };
    }
    const { apiKey, ...visible } = settings;
    return { ...visible, apiKeySet: apiKey !== null };
  }

  /**
   * Replaces the tenant's settings. The stored API key is kept when `apiKey` is omitted or sent
   * as the mask, but never follows a new provider or base URL: that needs the key again.
   */
  async putSettings(auth: AuthContext, dto: PutLlmSettingsDto): Promise<LlmSettingsResponseDto> {
    const current = await this.settings.findOne({ where: { tenantId: auth.tenantId } });
    if (current?.apiKey) {
      const moved = changedDestinationFields(
        LLM_DESTINATION_FIELDS,
        { provider: current.provider, baseUrl: current.baseUrl },
        { provider: dto.provider, baseUrl: dto.baseUrl ?? null },
      );
      assertSecretsResent(moved, { apiKey: 'stored' }, dto.apiKey === undefined ? undefined : { apiKey: dto.apiKey }, {
        config: '',
        secrets: '',
      });
    }
    const apiKey =
      dto.apiKey === null
        ? null
        : dto.apiKey === undefined || dto.apiKey === SECRET_MASK
          ? (current?.apiKey ?? null)
          : this.secrets.seal(dto.apiKey, auth.tenantId);
    await this.settings.save(
      this.settings.create({
        tenantId: auth.tenantId,
        provider: dto.provider,
        model: dto.model,
        baseUrl: dto.baseUrl ?? null,
        apiKey,
        temperature: dto.temperature ?? null,
        maxTokens: dto.maxTokens ?? null,
        timeoutMs: dto.timeoutMs ?? null,
        updatedBy: auth.userId,
      }),
    );
    return this.getSettings(auth);
  }

  /** Back to the server's defaults. */
  async deleteSettings(auth: AuthContext): Promise<void> {
    await this.settings.delete({ tenantId: auth.tenantId });
  }

  private async effective(tenantId: string): Promise<EffectiveLlm | null> {
    const own = await this.settings.findOne({ where: { tenantId } });
    if (own) {
      return {
        source: 'tenant',
        provider: own.provider,
        model: own.model,
        baseUrl: own.baseUrl,
        apiKey: own.apiKey ? this.secrets.open(own.apiKey, tenantId) : null,
        temperature: own.temperature ?? this.env.LLM_TEMPERATURE,
        maxTokens: own.maxTokens ?? this.env.LLM_MAX_TOKENS,
        timeoutMs: own.timeoutMs ?? this.env.LLM_TIMEOUT_MS,
      };
    }
    if (!this.env.LLM_PROVIDER) return null;
    return {
      source: 'environment',
      provider: this.env.LLM_PROVIDER,
      model: this.env.LLM_MODEL ?? DEFAULT_MODEL[this.env.LLM_PROVIDER],
      baseUrl: this.env.LLM_BASE_URL ?? null,
      apiKey: this.env.LLM_API_KEY ?? null,
      temperature: this.env.LLM_TEMPERATURE,
      maxTokens: this.env.LLM_MAX_TOKENS,
      timeoutMs: this.env.LLM_TIMEOUT_MS,
    };
  }

  private model(s: EffectiveLlm): BaseChatModel {
    // Retries are ours (withRetries): LangChain's own would not retry a 429.
    const common = { model: s.model, temperature: s.temperature, maxRetries: 0 };
    switch (s.provider) {
      case 'openai':
        return new ChatOpenAI({
          ...common,
          maxTokens: s.maxTokens,
          timeout: s.timeoutMs,
          // Local OpenAI-compatible servers take any key; the client insists on one.
          apiKey: s.apiKey ?? 'not-set',
          configuration: { baseURL: s.baseUrl ?? undefined, fetch: this.fetch },
        });
      case 'anthropic':
        return new ChatAnthropic({
          ...common,
          maxTokens: s.maxTokens,
          apiKey: s.apiKey ?? 'not-set',
          anthropicApiUrl: s.baseUrl ?? undefined,
          clientOptions: { fetch: this.fetch, timeout: s.timeoutMs },
        });
      case 'ollama':
        return new ChatOllama({
          ...common,
          numPredict: s.maxTokens,
          baseUrl: s.baseUrl ?? 'http://127.0.0.1:11434',
          fetch: this.fetch,
        });
    }
  }

  /**
   * Retries a call the provider turned away for now (429, 5xx), with exponential backoff and
   * jitter, as long as the signal allows; anything else fails at once.
   */
  private async withRetries<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const status = statusOf(error);
        const transient = status === 429 || (status !== undefined && status >= 500);
        if (!transient || attempt >= this.env.LLM_MAX_RETRIES || signal.aborted) throw error;
        const delay = RETRY_BASE_MS * 2 ** attempt * (0.5 + Math.random() / 2);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        if (signal.aborted) throw error;
      }
    }
  }

  private async count(tenantId: string, usage: TokenUsage): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO llm_usage (tenant_id, day, calls, prompt_tokens, completion_tokens)
       VALUES ($1, current_date, 1, $2, $3)
       ON CONFLICT (tenant_id, day) DO UPDATE SET calls = llm_usage.calls + 1,
         prompt_tokens = llm_usage.prompt_tokens + EXCLUDED.prompt_tokens,
         completion_tokens = llm_usage.completion_tokens + EXCLUDED.completion_tokens`,
      [tenantId, usage.promptTokens, usage.completionTokens],
    );
  }

  /** A failed call as an error a user can act on; provider internals stay out of it. */
  private explain(error: unknown, signal: AbortSignal, s: EffectiveLlm): DomainError {
    if (error instanceof DomainError) return error;
    const tooLarge = findResponseTooLarge(error);
    if (tooLarge) {
      return new DomainError(
        502,
        'LLM_RESPONSE_TOO_LARGE',
        `The LLM (${s.provider} ${s.model}) answered with more than ${tooLarge.limitBytes} bytes (HTTP_RESPONSE_MAX_BYTES); the connection was closed`,
      );
    }
    const cause = (error as { cause?: unknown })?.cause;
    if (error instanceof SafeNetworkError || cause instanceof SafeNetworkError) {
      const refused = (error instanceof SafeNetworkError ? error : cause) as SafeNetworkError;
      return new DomainError(502, 'LLM_UNREACHABLE', `The LLM's address is refused: ${refused.message}`);
    }
    const name = (error as { name?: string })?.name ?? '';
    if (
      signal.aborted ||
      /abort|timeout/i.test(name) ||
      /timed? ?out|aborted/i.test(String((error as Error)?.message))
    ) {
      return new DomainError(504, 'LLM_TIMEOUT', `The LLM (${s.provider} ${s.model}) did not answer in time`);
    }
    const status = (error as { status?: number })?.status;
    return new DomainError(
      502,
      'LLM_ERROR',
      `The LLM (${s.provider} ${s.model}) failed${status ? ` with HTTP ${status}` : ''}; check its settings and that it is running`,
    );
  }
}
