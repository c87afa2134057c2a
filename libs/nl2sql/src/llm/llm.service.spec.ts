import type { AuthContext } from '@sluice/auth';
import { EnvDto, SecretBox, DomainError, SafeNetwork } from '@sluice/core';
import type { DataSource, Repository } from 'typeorm';
import { FakeOpenAi } from '../../../../test/helpers/fake-openai';
import { LlmSettingsEntity } from './llm-settings.entity';
import { LlmService } from './llm.service';

/** LlmService over the local fake provider, with the settings table and the usage counter in memory. */

const admin: AuthContext = { tenantId: 'ten_1', userId: 'usr_1', role: 'admin', via: 'jwt' };

/** The few repository calls LlmService makes, on a map keyed by tenant. */
class SettingsInMemory {
  readonly rows = new Map<string, LlmSettingsEntity>();
  findOne({ where }: { where: { tenantId: string } }) {
    return Promise.resolve(this.rows.get(where.tenantId) ?? null);
  }
  create(values: Partial<LlmSettingsEntity>) {
    return values as LlmSettingsEntity;
  }
  save(row: LlmSettingsEntity) {
    this.rows.set(row.tenantId, row);
    return Promise.resolve(row);
  }
  delete({ tenantId }: { tenantId: string }) {
    this.rows.delete(tenantId);
    return Promise.resolve();
  }
}

/** Records the usage counted per call instead of writing llm_usage. */
class UsageCounter {
  readonly counted: unknown[][] = [];
  query(_sql: string, params: unknown[]) {
    this.counted.push(params);
    return Promise.resolve([]);
  }
}

describe('LlmService', () => {
  const provider = new FakeOpenAi();
  beforeAll(() => provider.start());
  afterAll(() => provider.stop());

  const secrets = new SecretBox({ id: 'k1', key: Buffer.alloc(32, 7) });

  /** `allow` as SAFE_NETWORK_ALLOW: the fake provider's loopback address, unless told otherwise. */
  function llmWith(env: Partial<EnvDto>, allow = '127.0.0.1') {
    const settings = new SettingsInMemory();
    const usage = new UsageCounter();
    const fullEnv = Object.assign(new EnvDto(), { LLM_MAX_RETRIES: 2, ...env });
    const service = new LlmService(
      settings as unknown as Repository<LlmSettingsEntity>,
      usage as unknown as DataSource,
      secrets,
      fullEnv,
      new SafeNetwork(allow),
    );
    return { service, settings, usage };
  }
  const fromEnv = (extra: Partial<EnvDto> = {}) =>
    llmWith({ LLM_PROVIDER: 'openai', LLM_MODEL: 'test-model', LLM_BASE_URL: provider.baseUrl, ...extra });

  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as DomainError,
    );

  it('refuses with 503 LLM_NOT_CONFIGURED when neither the server nor the tenant set an LLM', async () => {
    const { service } = llmWith({});
    expect(await service.isConfigured('ten_1')).toBe(false);
    const error = await failure(service.chat('ten_1', [{ role: 'user', content: 'hi' }]));
    expect(error).toMatchObject({ status: 503, code: 'LLM_NOT_CONFIGURED' });
  });

  it('sends the turns in order and counts the tokens of the reply for the tenant', async () => {
    const { service, usage } = fromEnv();
    provider.reply('SELECT 1');

    const reply = await service.chat('ten_1', [
      { role: 'system', content: 'You write SQL.' },
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'SELECT 0' },
      { role: 'user', content: 'again' },
    ]);

    expect(reply.text).toBe('SELECT 1');
    expect(reply.usage.promptTokens).toBeGreaterThan(0);
    expect(reply.usage.completionTokens).toBe(2);
    expect(provider.requests).toHaveLength(1);
    expect(provider.requests[0].model).toBe('test-model');
    expect(provider.requests[0].messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(usage.counted).toEqual([['ten_1', reply.usage.promptTokens, reply.usage.completionTokens]]);
  });

  it('retries a 429 and a 5xx, up to LLM_MAX_RETRIES', async () => {
    const { service } = fromEnv();
    provider.reply({ status: 429 }, { status: 503 }, 'SELECT 2');
    expect((await service.chat('ten_1', [{ role: 'user', content: 'q' }])).text).toBe('SELECT 2');
    expect(provider.requests).toHaveLength(3);

    provider.reply({ status: 500 }, { status: 500 }, { status: 500 }, 'never');
    const error = await failure(service.chat('ten_1', [{ role: 'user', content: 'q' }]));
    expect(error).toMatchObject({ status: 502, code: 'LLM_ERROR' });
    expect(provider.requests).toHaveLength(3);
  });

  it('does not retry any other refusal of the provider', async () => {
    const { service, usage } = fromEnv();
    provider.reply({ status: 400 }, 'never');
    const error = await failure(service.chat('ten_1', [{ role: 'user', content: 'q' }]));
    expect(error).toMatchObject({ status: 502, code: 'LLM_ERROR' });
    expect(error.message).toContain('HTTP 400');
    expect(provider.requests).toHaveLength(1);
    expect(usage.counted).toEqual([]);
  });

  it('gives up with 504 LLM_TIMEOUT when the provider is slower than LLM_TIMEOUT_MS', async () => {
    const { service } = fromEnv({ LLM_TIMEOUT_MS: 100 });
    provider.reply({ content: 'late', delayMs: 2_000 });
    const error = await failure(service.chat('ten_1', [{ role: 'user', content: 'q' }]));
    expect(error).toMatchObject({ status: 504, code: 'LLM_TIMEOUT' });
  });

  it('stops when the caller aborts (the question out of time, or the client gone)', async () => {
    const { service } = fromEnv();
    provider.reply({ content: 'late', delayMs: 2_000 });
    const error = await failure(service.chat('ten_1', [{ role: 'user', content: 'q' }], AbortSignal.timeout(100)));
    expect(error).toMatchObject({ status: 504, code: 'LLM_TIMEOUT' });
  });

  it('refuses an address the safe network does not allow with 502 LLM_UNREACHABLE', async () => {
    const { service } = llmWith(
      { LLM_PROVIDER: 'openai', LLM_MODEL: 'm', LLM_BASE_URL: provider.baseUrl, LLM_MAX_RETRIES: 0 },
      '',
    );
    provider.reply('never');
    const error = await failure(service.chat('ten_1', [{ role: 'user', content: 'q' }]));
    expect(error).toMatchObject({ status: 502, code: 'LLM_UNREACHABLE' });
    expect(provider.requests).toHaveLength(0);
  });

  describe('settings', () => {
    it('reports the server defaults, then the tenant settings with the key masked and sealed at rest', async () => {
      const { service, settings } = llmWith({ LLM_TIMEOUT_MS: 30_000 });
      expect(await service.getSettings(admin)).toMatchObject({ source: 'none', provider: null, timeoutMs: 30_000 });

      const saved = await service.putSettings(admin, {
        provider: 'openai',
        model: 'tenant-model',
        baseUrl: provider.baseUrl,
        apiKey: 'sk-secret',
      });

      expect(saved).toMatchObject({ source: 'tenant', model: 'tenant-model', apiKeySet: true });
      expect(JSON.stringify(saved)).not.toContain('sk-secret');
      expect(settings.rows.get('ten_1')?.apiKey).not.toContain('sk-secret');
      provider.reply('SELECT 3');
      expect((await service.chat('ten_1', [{ role: 'user', content: 'q' }])).text).toBe('SELECT 3');
      expect(provider.requests[0].model).toBe('tenant-model');
    });

    it('keeps the stored key when it is omitted, but not for a new destination', async () => {
      const { service, settings } = llmWith({});
      await service.putSettings(admin, { provider: 'openai', model: 'm', baseUrl: provider.baseUrl, apiKey: 'sk-1' });
      const sealed = settings.rows.get('ten_1')?.apiKey;

      await service.putSettings(admin, { provider: 'openai', model: 'm2', baseUrl: provider.baseUrl });
      expect(settings.rows.get('ten_1')?.apiKey).toBe(sealed);

      await expect(
        service.putSettings(admin, { provider: 'openai', model: 'm2', baseUrl: 'http://elsewhere.example/v1' }),
      ).rejects.toBeInstanceOf(DomainError);
      expect(settings.rows.get('ten_1')?.baseUrl).toBe(provider.baseUrl);

      await service.deleteSettings(admin);
      expect(await service.isConfigured('ten_1')).toBe(false);
    });
  });
});
