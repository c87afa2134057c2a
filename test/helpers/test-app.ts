import { EnvDto, ensureDatabaseExists, runMigrations } from '@sluice/core';
import { LoggerService } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { createPino, JsonLogger } from '@sluice/core/testing';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApiApp } from '../../apps/api/src/create-app';
import { HttpClient } from './http-client';
import { clearRedisPrefix, dropDatabase, testEnv } from './test-env';

export interface TestApp {
  app: NestExpressApplication;
  env: EnvDto;
  baseUrl: string;
  http: HttpClient;
  /** Every log line the app wrote, when started with `captureLogs`. */
  logs: string[];
  /** The app's logger (false when logs are not captured); a test worker shares it. */
  logger: LoggerService | false;
  /** Stops the app; drops its database and Redis keys unless `keepData` was set. */
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Record log lines at debug level (to assert what is, and is not, logged). */
  captureLogs?: boolean;
  /** Leave the database and Redis keys in place on close, for a restart on the same data. */
  keepData?: boolean;
  /** The app's logger, when neither silence nor capture fits (a benchmark logs as production does). */
  logger?: LoggerService;
}

/** The real API on a random port, over its own scratch database and Redis prefix. */
export async function startTestApp(
  overrides: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const env = testEnv(overrides);
  await ensureDatabaseExists(env.DATABASE_URL!);
  await runMigrations(env.DATABASE_URL!);
  const logs: string[] = [];
  let logger: LoggerService | false = options.logger ?? false;
  if (options.captureLogs) {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    logger = new JsonLogger(createPino('debug', sink));
  }
  const app = await createApiApp(env, logger);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    env,
    baseUrl,
    http: new HttpClient(baseUrl),
    logs,
    logger,
    async close() {
      await app.close();
      if (options.keepData) return;
      await dropDatabase(env.DATABASE_URL!);
      await clearRedisPrefix(env.REDIS_KEY_PREFIX);
    },
  };
}
