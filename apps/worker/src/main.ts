import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, loadEnvOrExit, onShutdown, prepareRuntime, runMain } from '@sluice/core/app/bootstrap';
import { WorkerModule } from './worker.module';

runMain('Sluice worker failed to start', async () => {
  const env = loadEnvOrExit();
  const logger = createLogger(env);
  const db = await prepareRuntime(env, logger);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), { logger, abortOnError: false });
  await app.init();
  onShutdown(() => app.close(), db);
  logger.log(`Worker ready (concurrency ${env.WORKER_CONCURRENCY})`, 'Startup');
});
