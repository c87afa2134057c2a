import type { EnvDto, RateLimiter } from '@sluice/core';
import { HostNotFoundError, TooManyRequestsError, SafeNetworkError } from '@sluice/core';
import { caller, failure, TENANT_B } from '../../../../test/fakes/common';
import { FakeConnectorService, FakeRegistry, fakePlugin, FakeRuntime } from '../../../../test/fakes/connectors';
import type { ConnectorRepository } from '../connector.repository';
import type { ConnectorRuntime } from '../connector.runtime';
import type { ConnectorService } from '../connector.service';
import type { ProbeOutcome } from '../plugin/connector-plugin';
import type { BreakerState, CircuitBreaker } from './circuit-breaker';
import { ConnectorProbeService } from './connector-probe.service';

const THRESHOLD = 2;

/** Opens after THRESHOLD failures in a row, like the Redis one, and stays open until reset. */
class FakeBreaker {
  readonly failures = new Map<string, number>();
  readonly open = new Set<string>();

  async state(id: string): Promise<BreakerState> {
    return this.open.has(id) ? { open: true, retryInSeconds: 30 } : { open: false, retryInSeconds: 0 };
  }

  async recordSuccess(id: string): Promise<void> {
    this.failures.delete(id);
  }

  async recordFailure(id: string): Promise<boolean> {
    const n = (this.failures.get(id) ?? 0) + 1;
    this.failures.set(id, n);
    if (n < THRESHOLD) return false;
    this.open.add(id);
    this.failures.delete(id);
    return true;
  }
}

/** Counts uses per key and refuses past the limit, like the Redis-backed limiter within one window. */
class FakeLimiter {
  readonly used = new Map<string, number>();

  async consume(name: string, key: string, limit: number, _windowMs: number, what: string): Promise<void> {
    const n = (this.used.get(`${name}:${key}`) ?? 0) + 1;
    this.used.set(`${name}:${key}`, n);
    if (n > limit) throw new TooManyRequestsError(`Too many ${what}`, 60);
  }
}

describe('ConnectorProbeService', () => {
  const alice = caller();
  const bob = caller(TENANT_B);
  let connectors: FakeConnectorService;
  let breaker: FakeBreaker;
  /** What the plugin's test() does next. */
  let probe: () => Promise<ProbeOutcome>;
  let service: ConnectorProbeService;

  beforeEach(() => {
    connectors = new FakeConnectorService();
    breaker = new FakeBreaker();
    probe = async () => ({ success: true, message: 'Connected to PostgreSQL 16', details: { serverVersion: '16' } });
    const registry = new FakeRegistry().register('postgresql', fakePlugin({ test: () => probe() }));
    const env = {
      CIRCUIT_BREAKER_THRESHOLD: THRESHOLD,
      CONNECTOR_PROBE_TIMEOUT_MS: 50,
      PROBE_RATE_LIMIT_PER_MINUTE: 5,
    } as EnvDto;
    service = new ConnectorProbeService(
      connectors as unknown as ConnectorService,
      connectors as unknown as ConnectorRepository,
      new FakeRuntime(registry) as unknown as ConnectorRuntime,
      breaker as unknown as CircuitBreaker,
      new FakeLimiter() as unknown as RateLimiter,
      env,
    );
  });

  describe('test', () => {
    it('probes the connector, marks it active and remembers the probe for health', async () => {
      const { id } = connectors.add({ status: 'pending', lastError: 'old failure' });
      const answer = await service.test(alice, id);
      expect(answer).toMatchObject({
        success: true,
        message: 'Connected to PostgreSQL 16',
        status: 'active',
        lastError: 'old failure',
        details: { serverVersion: '16' },
      });
      expect(answer.lastTestedAt).not.toBeNull();
      expect(await service.health(alice, id)).toMatchObject({ status: 'healthy', latencyMs: answer.latencyMs });
    });

    it('records a failure as the last error and the status error, and health turns unhealthy', async () => {
      const { id } = connectors.add();
      probe = async () => ({ success: false, message: 'password authentication failed', details: {} });
      expect(await service.test(alice, id)).toMatchObject({
        success: false,
        status: 'error',
        lastError: 'password authentication failed',
      });
      expect((await service.health(alice, id)).status).toBe('unhealthy');
    });

    it('keeps a connector waiting for its upload in pending_upload after a good probe', async () => {
      const { id } = connectors.add({ status: 'pending_upload' });
      expect((await service.test(alice, id)).status).toBe('pending_upload');
    });

    it('answers a plugin that throws as a failed probe, without its internals', async () => {
      const { id } = connectors.add();
      probe = async () => {
        throw new Error('ECONNREFUSED 10.0.0.5:5432 at Socket.connect');
      };
      expect(await service.test(alice, id)).toMatchObject({ success: false, message: 'Connection test failed' });
    });

    it('says when the probe timed out', async () => {
      const { id } = connectors.add();
      probe = () => new Promise((_resolve, reject) => setTimeout(() => reject(new Error('aborted')), 200));
      expect((await service.test(alice, id)).message).toBe('Timed out after 50 ms');
    });

    it('is 422 ADDRESS_REFUSED for an address the network guard refuses', async () => {
      const { id } = connectors.add({ status: 'pending' });
      probe = async () => {
        throw new SafeNetworkError('Address 169.254.169.254 is not allowed', 'link-local');
      };
      expect(await failure(service.test(alice, id))).toEqual({ status: 422, code: 'ADDRESS_REFUSED' });
      expect(await connectors.find(alice.tenantId, id)).toMatchObject({ status: 'pending', lastError: null });
    });

    it('is 422 HOST_NOT_FOUND for a host that does not resolve, and records the failed test', async () => {
      const { id } = connectors.add({ status: 'pending' });
      probe = async () => {
        throw new HostNotFoundError('db.invalid');
      };
      expect(await failure(service.test(alice, id))).toEqual({ status: 422, code: 'HOST_NOT_FOUND' });
      const after = await connectors.find(alice.tenantId, id);
      expect(after).toMatchObject({
        status: 'error',
        lastError: expect.stringContaining('Could not resolve host db.invalid'),
      });
      expect(after.lastTestedAt).not.toBeNull();
      expect((await service.health(alice, id)).status).toBe('unhealthy');
      expect(breaker.failures.get(id)).toBe(1);
    });

    it('pauses probes after repeated failures, answering without reaching the source', async () => {
      const { id } = connectors.add();
      let calls = 0;
      probe = async () => {
        calls++;
        return { success: false, message: 'down', details: {} };
      };
      await service.test(alice, id);
      await service.test(alice, id);
      const paused = await service.test(alice, id);
      expect(calls).toBe(2);
      expect(paused).toMatchObject({ success: false, details: { circuit: 'open' } });
      expect(paused.message).toContain('next attempt allowed in 30 s');
    });

    it('limits probes per tenant (429), each tenant on its own budget', async () => {
      const mine = connectors.add();
      const theirs = connectors.add({ tenantId: TENANT_B });
      for (let i = 0; i < 5; i++) await service.test(alice, mine.id);
      expect(await failure(service.test(alice, mine.id))).toEqual({ status: 429, code: 'RATE_LIMITED' });
      expect((await service.test(bob, theirs.id)).success).toBe(true);
    });

    it('refuses an inactive connector (409) and another tenant one (404), storing nothing', async () => {
      const off = connectors.add({ status: 'inactive' });
      expect(await failure(service.test(alice, off.id))).toEqual({ status: 409, code: 'CONNECTOR_INACTIVE' });
      const mine = connectors.add();
      expect(await failure(service.test(bob, mine.id))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
      expect(connectors.rows.get(mine.id)!.lastTestedAt).toBeNull();
    });
  });

  describe('testConnection', () => {
    it('probes an unsaved configuration and stores nothing', async () => {
      const answer = await service.testConnection(alice, { type: 'postgresql', config: { host: 'db' } });
      expect(answer).toMatchObject({ success: true, status: null, lastTestedAt: null, lastError: null });
      expect(connectors.rows.size).toBe(0);
    });

    it('is 400 for an unknown type', async () => {
      expect(await failure(service.testConnection(alice, { type: 'oracle' }))).toEqual({
        status: 400,
        code: 'UNKNOWN_CONNECTOR_TYPE',
      });
    });
  });

  describe('health', () => {
    it('is unknown before any probe, and 404 for another tenant', async () => {
      const { id } = connectors.add();
      expect(await service.health(alice, id)).toEqual({ status: 'unknown', lastCheck: null, latencyMs: null });
      expect(await failure(service.health(bob, id))).toEqual({ status: 404, code: 'CONNECTOR_NOT_FOUND' });
    });
  });
});
