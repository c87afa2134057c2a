import { NestExpressApplication } from '@nestjs/platform-express';
import { EnvDto } from '@sluice/core/config/env.dto';
import { ensureDatabaseExists, runMigrations } from '@sluice/core/database/prepare-database';
import { AddressInfo } from 'node:net';
import { createApiApp } from '../../apps/api/src/create-app';
import { clearRedisPrefix, dropDatabase, testEnv } from './test-env';
import { HttpClient } from './http-client';

export interface TestApp {
  app: NestExpressApplication;
  env: EnvDto;
  baseUrl: string;
  http: HttpClient;
  close(): Promise<void>;
}

/** The real API on a random port, over its own scratch database and Redis prefix. */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const env = testEnv(overrides);
  await ensureDatabaseExists(env.DATABASE_URL!);
  await runMigrations(env.DATABASE_URL!);
  const app = await createApiApp(env, false);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    env,
    baseUrl,
    http: new HttpClient(baseUrl),
    async close() {
      await app.close();
      await dropDatabase(env.DATABASE_URL!);
      await clearRedisPrefix(env.REDIS_KEY_PREFIX);
    },
  };
}
