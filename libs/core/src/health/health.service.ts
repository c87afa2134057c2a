import { Injectable } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { DomainError } from '../errors/domain-error';
import { InjectRedis } from '../redis/redis';
import { DependencyStatusDto, LivenessResponseDto, ReadinessResponseDto } from './health-response.dto';

const CHECK_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    @InjectRedis() private readonly redis: Redis,
  ) {}

  live(): LivenessResponseDto {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  /** Checks the database and Redis; a 503 names each dependency that is down. */
  async ready(): Promise<ReadinessResponseDto> {
    const result = await this.health
      .check([
        () => this.db.pingCheck('database').withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('redis')
            .attempt(async () => {
              if ((await this.redis.ping()) !== 'PONG') throw new Error('unexpected PING answer');
            })
            .withTimeout(CHECK_TIMEOUT_MS),
      ])
      .catch((e: { getResponse?: () => unknown }) => e.getResponse?.() ?? { status: 'error', details: {} });

    const details = (result as { details?: Record<string, { status: string; message?: string }> }).details ?? {};
    const dependencies: Record<string, DependencyStatusDto> = {};
    for (const [name, value] of Object.entries(details)) {
      dependencies[name] =
        value.status === 'up' ? { status: 'up' } : { status: 'down', message: value.message ?? 'not answering' };
    }
    const down = Object.entries(dependencies).filter(([, v]) => v.status === 'down');
    if ((result as { status?: string }).status !== 'ok' || down.length > 0) {
      throw new DomainError(
        503,
        'NOT_READY',
        `Not ready: ${down.map(([name]) => name).join(', ') || 'a dependency'} down`,
        down.map(([name, v]) => ({ dependency: name, ...v })),
      );
    }
    return { status: 'ok', dependencies };
  }
}
