import { EnvDto } from '@sluice/core';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from '../../apps/worker/src/worker.module';

/** The real worker in this process, on the test app's database and Redis prefix. */
export async function startTestWorker(env: EnvDto): Promise<INestApplicationContext> {
  const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(env), {
    logger: false,
    abortOnError: false,
  });
  await worker.init();
  return worker;
}
