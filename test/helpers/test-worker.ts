import { EnvDto } from '@sluice/core';
import { INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from '../../apps/worker/src/worker.module';

/**
 * The real worker in this process, on the test app's database and Redis prefix. Nest's logger is
 * one per process: pass the app's (`t.logger`) so the worker neither silences the app's captured
 * lines nor writes its own lines past them.
 */
export async function startTestWorker(
  env: EnvDto,
  logger: LoggerService | false = false,
): Promise<INestApplicationContext> {
  const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), {
    logger,
    abortOnError: false,
  });
  await worker.init();
  return worker;
}
