import { Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { rm, writeFile } from 'node:fs/promises';
import { EnvDto } from '../config/env.dto';
import { REDIS } from '../redis/redis.token';

/** How often a healthy worker touches its heartbeat file. */
export const HEARTBEAT_INTERVAL_MS = 10_000;

/**
 * The worker's liveness for a container health check: it has no HTTP port, so while its event
 * loop turns and Redis (where its jobs come from) answers, it rewrites WORKER_HEARTBEAT_FILE
 * every HEARTBEAT_INTERVAL_MS. A check that finds the file older than a minute or so (see
 * docker/compose.yml) knows the worker is stuck or cut off from its queues. Off when unset.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeat');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly env: EnvDto,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.env.WORKER_HEARTBEAT_FILE) return;
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  /** One beat: written only when Redis answered, so a stale file means trouble. */
  async beat(): Promise<boolean> {
    const file = this.env.WORKER_HEARTBEAT_FILE;
    if (!file) return false;
    try {
      await this.redis.ping();
      await writeFile(file, `${new Date().toISOString()}\n`);
      return true;
    } catch (error) {
      this.logger.warn(`No heartbeat: ${(error as Error).message}`);
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // A stopped worker is not a healthy one.
    if (this.env.WORKER_HEARTBEAT_FILE) await rm(this.env.WORKER_HEARTBEAT_FILE, { force: true });
  }
}

/** Imported by the worker app only. */
@Module({ providers: [WorkerHeartbeat] })
export class WorkerHeartbeatModule {}
