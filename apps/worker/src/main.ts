import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, loadEnvOrExit, onShutdown, prepareRuntime, runMain, workerStop } from '@sluice/core';
import { WorkerModule } from './worker.module';

runMain('Sluice worker failed to start', async () => {
  const env = loadEnvOrExit();
  const logger = createLogger(env);
  const db = await prepareRuntime(env, logger);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), { logger, abortOnError: false });
  await app.init();
  // Jobs read the stop request between steps, so closing the queues (which waits for the jobs in
  // flight) takes one step of each, not the whole job.
  onShutdown(async () => {
    workerStop.request();
    await app.close();
  }, db);
  logger.log(`Worker ready (concurrency ${env.WORKER_CONCURRENCY})`, 'Startup');
});
