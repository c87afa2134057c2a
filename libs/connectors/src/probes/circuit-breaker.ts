import { Injectable } from '@nestjs/common';
import { EnvDto, InjectRedis } from '@sluice/core';
import type Redis from 'ioredis';

export interface BreakerState {
  open: boolean;
  /** Seconds until probes are let through again. */
  retryInSeconds: number;
}

/**
 * Stops probing a connector that failed CIRCUIT_BREAKER_THRESHOLD times in a row, for
 * CIRCUIT_BREAKER_COOLDOWN_SECONDS. State lives in Redis, so every API instance agrees.
 */
@Injectable()
export class CircuitBreaker {
  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly env: EnvDto,
  ) {}

  async state(connectorId: string): Promise<BreakerState> {
    const ttl = await this.redis.pttl(`breaker:${connectorId}:open`);
    return ttl > 0 ? { open: true, retryInSeconds: Math.ceil(ttl / 1000) } : { open: false, retryInSeconds: 0 };
  }

  async recordSuccess(connectorId: string): Promise<void> {
    await this.redis.del(`breaker:${connectorId}:failures`);
  }

  /** Counts a failure; returns true when this one opened the breaker. */
  async recordFailure(connectorId: string): Promise<boolean> {
    const failures = await this.redis.incr(`breaker:${connectorId}:failures`);
    if (failures < this.env.CIRCUIT_BREAKER_THRESHOLD) return false;
    await this.redis
      .multi()
      .set(`breaker:${connectorId}:open`, '1', 'EX', this.env.CIRCUIT_BREAKER_COOLDOWN_SECONDS)
      .del(`breaker:${connectorId}:failures`)
      .exec();
    return true;
  }

  async reset(connectorId: string): Promise<void> {
    await this.redis.del(`breaker:${connectorId}:failures`, `breaker:${connectorId}:open`);
  }
}
