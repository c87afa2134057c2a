import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { EnvDto } from '../config/env.dto';
import { REDIS } from './redis.token';
import { RateLimiter } from '../throttling/rate-limiter';
import { ConcurrencySlots } from '../throttling/concurrency-slots';
import { SharedMetrics } from '../metrics/shared-metrics';

export { InjectRedis, REDIS } from './redis.token';

/** A client for our own keys (rate limits, locks, flags); every key goes under `REDIS_KEY_PREFIX:`. */
export function createRedis(env: EnvDto, logger: Pick<Logger, 'warn' | 'log'> = new Logger('Redis')): Redis {
  const client = new Redis(env.REDIS_URL, {
    keyPrefix: `${env.REDIS_KEY_PREFIX}:`,
    maxRetriesPerRequest: 1,
    // A command waits at most this long, so an outage gives a quick 503 rather than a hung request.
    commandTimeout: 2000,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  reportConnectionErrors(client, logger);
  return client;
}

/**
 * An ioredis client without an 'error' listener prints "[ioredis] Unhandled error event" with a
 * stack for every failed reconnect. The client reconnects by itself; what an operator needs is one
 * warning when the connection is lost (and each time the reason changes) and one line when it is
 * back, through the application's logger.
 */
export function reportConnectionErrors(client: Redis, logger: Pick<Logger, 'warn' | 'log'>): void {
  let lastReason: string | undefined;
  client.on('error', (error: Error) => {
    const reason = error.message || error.name;
    if (reason === lastReason) return;
    lastReason = reason;
    logger.warn(`Redis connection error (the client keeps reconnecting): ${reason}`);
  });
  client.on('ready', () => {
    if (lastReason === undefined) return;
    lastReason = undefined;
    logger.log('Redis connection restored');
  });
}

/**
 * Fails fast, with instructions, when Redis does not answer: the API and worker cannot do
 * their job without it and a clear message beats a stream of reconnect errors.
 */
export async function assertRedisReachable(url: string, timeoutMs = 5000): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch {
    const safeUrl = url.replace(/\/\/[^@/]*@/, '//***@');
    throw new Error(
      `Redis is not reachable at ${safeUrl}. Start one (for example: redis-server --daemonize yes, or docker compose -f docker/compose.yml up -d redis) or set REDIS_URL to a running server.`,
    );
  } finally {
    client.disconnect();
  }
}

class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    // QUIT would wait in the offline queue for a server that is gone.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS, inject: [EnvDto], useFactory: createRedis },
        RedisCloser,
        RateLimiter,
        ConcurrencySlots,
        SharedMetrics,
      ],
      exports: [REDIS, RateLimiter, ConcurrencySlots, SharedMetrics],
    };
  }
}
