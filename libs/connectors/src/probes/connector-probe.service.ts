import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import {
  EnvDto,
  BadRequestError,
  ConflictError,
  UnprocessableError,
  SafeNetworkError,
  RateLimiter,
} from '@sluice/core';
import { ConnectorEntity } from '../connector.entity';
import { ConnectorRepository } from '../connector.repository';
import { ConnectorRuntime, OpenedConnector } from '../connector.runtime';
import { ConnectorService } from '../connector.service';
import { ConnectorHealthDto, ProbeResponseDto, TestConnectionDto } from '../dto/probe.dto';
import { ProbeOutcome } from '../plugin/connector-plugin';
import { settingsFromConnection } from '../plugins/sql-common/connection-string';
import { CircuitBreaker } from './circuit-breaker';

interface LastProbe {
  success: boolean;
  latencyMs: number;
  at: string;
}

/** Real connection tests: rate-limited per tenant, short-circuited after repeated failures. */
@Injectable()
export class ConnectorProbeService {
  constructor(
    private readonly connectors: ConnectorService,
    private readonly repo: ConnectorRepository,
    private readonly runtime: ConnectorRuntime,
    private readonly breaker: CircuitBreaker,
    private readonly limiter: RateLimiter,
    private readonly env: EnvDto,
  ) {}

  /** Probes a saved connector and records the outcome on it. */
  async test(auth: AuthContext, id: string): Promise<ProbeResponseDto> {
    const connector = await this.connectors.find(auth.tenantId, id);
    if (connector.status === 'inactive') {
      throw new ConflictError(
        'CONNECTOR_INACTIVE',
        'Connector is not active (status: inactive); set its status to active first',
      );
    }
    await this.consumeBudget(auth);
    const breaker = await this.breaker.state(id);
    if (breaker.open) {
      return this.answer(
        connector,
        {
          success: false,
          message: `Probes are paused after ${this.env.CIRCUIT_BREAKER_THRESHOLD} failures in a row; next attempt allowed in ${breaker.retryInSeconds} s`,
          details: { circuit: 'open' },
        },
        0,
      );
    }

    const started = Date.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await this.probe(auth.tenantId, id, this.runtime.open(connector));
    } catch (e) {
      // A host that does not resolve is a failed test like any other (status error, lastError),
      // answered with its own code; a refused address stays the caller's 422, with nothing stored.
      if (e instanceof UnprocessableError && e.code === 'HOST_NOT_FOUND') {
        await this.record(auth, connector, { success: false, message: e.message, details: {} }, Date.now() - started);
      }
      throw e;
    }
    const latencyMs = Date.now() - started;
    await this.record(auth, connector, outcome, latencyMs);
    return this.answer(await this.connectors.find(auth.tenantId, id), outcome, latencyMs);
  }

  /** Remembers a probe's outcome on the connector (status, lastError, health) and in its breaker. */
  private async record(
    auth: AuthContext,
    connector: ConnectorEntity,
    outcome: ProbeOutcome,
    latencyMs: number,
  ): Promise<void> {
    if (outcome.success) await this.breaker.recordSuccess(connector.id);
    else await this.breaker.recordFailure(connector.id);

    const now = new Date();
    const status = outcome.success ? (connector.status === 'pending_upload' ? 'pending_upload' : 'active') : 'error';
    const lastProbe: LastProbe = { success: outcome.success, latencyMs, at: now.toISOString() };
    await this.repo.update(auth.tenantId, connector.id, {
      status,
      lastTestedAt: now,
      // A warning is passing news; only a real failure is remembered as the last error.
      lastError: outcome.success ? connector.lastError : outcome.message,
      metadata: { ...connector.metadata, lastProbe },
    });
  }

  /** Probes an unsaved configuration (or connection string); nothing is stored. */
  async testConnection(auth: AuthContext, dto: TestConnectionDto): Promise<ProbeResponseDto> {
    const fromString = dto.connection ? settingsFromConnection(dto.type, dto.connection, dto.ssl) : undefined;
    const config = { ...fromString?.config, ...dto.connectionConfig, ...dto.config };
    const secrets = { ...fromString?.authConfig, ...dto.authConfig };
    const opened = this.runtime.check(auth.tenantId, dto.type, config, secrets);
    await this.consumeBudget(auth);
    const started = Date.now();
    const outcome = await this.probe(auth.tenantId, null, opened);
    return {
      id: null,
      name: null,
      type: dto.type,
      ...this.shape(outcome, Date.now() - started),
      status: null,
      lastTestedAt: null,
      lastError: null,
      lastSyncAt: null,
      lastSyncRowCount: null,
    };
  }

  async health(auth: AuthContext, id: string): Promise<ConnectorHealthDto> {
    const connector = await this.connectors.find(auth.tenantId, id);
    const last = connector.metadata.lastProbe as LastProbe | undefined;
    if (!last) return { status: 'unknown', lastCheck: null, latencyMs: null };
    return { status: last.success ? 'healthy' : 'unhealthy', lastCheck: last.at, latencyMs: last.latencyMs };
  }

  private async probe(tenantId: string, connectorId: string | null, opened: OpenedConnector): Promise<ProbeOutcome> {
    const ctx = this.runtime.context(tenantId, connectorId, opened.parsed, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    try {
      return await opened.registered.plugin.test(ctx);
    } catch (e) {
      // A refused address (or a host that does not resolve) is the caller's configuration,
      // answered before any connection is made.
      if (e instanceof SafeNetworkError) throw new UnprocessableError(e.code, e.message);
      if (e instanceof BadRequestError) throw e;
      return {
        success: false,
        message: ctx.signal.aborted
          ? `Timed out after ${this.env.CONNECTOR_PROBE_TIMEOUT_MS} ms`
          : 'Connection test failed',
        details: {},
      };
    }
  }

  private consumeBudget(auth: AuthContext): Promise<void> {
    return this.limiter.consume(
      'probe',
      auth.tenantId,
      this.env.PROBE_RATE_LIMIT_PER_MINUTE,
      60_000,
      'connection tests',
    );
  }

  private shape(outcome: ProbeOutcome, latencyMs: number) {
    return {
      success: outcome.success,
      message: outcome.message,
      warning: outcome.warning || null,
      latencyMs,
      details: outcome.details,
    };
  }

  private answer(connector: ConnectorEntity, outcome: ProbeOutcome, latencyMs: number): ProbeResponseDto {
    return {
      id: connector.id,
      name: connector.name,
      type: connector.type,
      ...this.shape(outcome, latencyMs),
      status: connector.status,
      lastTestedAt: connector.lastTestedAt?.toISOString() ?? null,
      lastError: connector.lastError,
      lastSyncAt: connector.lastSyncAt?.toISOString() ?? null,
      lastSyncRowCount: connector.lastSyncRowCount === null ? null : Number(connector.lastSyncRowCount),
    };
  }
}
