import { Injectable } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { EnvDto } from '../config/env.dto';
import { loadEnv } from '../config/load-env';
import { JobHandler, JobRunner } from './job-runner';
import { JobName } from './queue-names';

const env = loadEnv({ JWT_SECRET: 'j'.repeat(40), ENCRYPTION_KEY: '0'.repeat(64) });

@Injectable()
class TwiceA {
  @JobHandler(JobName.SyncConnector)
  handle(): Promise<void> {
    return Promise.resolve();
  }
}

@Injectable()
class TwiceB {
  @JobHandler(JobName.SyncConnector)
  handle(): Promise<void> {
    return Promise.resolve();
  }
}

async function boot(providers: Array<new (...args: never[]) => unknown>) {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [JobRunner, { provide: EnvDto, useValue: env }, ...providers],
  }).compile();
  return moduleRef.createNestApplication({ logger: false }).init();
}

describe('JobRunner', () => {
  it('refuses to start while a job name has no processor, naming it', async () => {
    await expect(boot([TwiceA])).rejects.toThrow(`No processor for job(s): ${JobName.SyncDocument}`);
  });

  it('refuses two processors for one job', async () => {
    await expect(boot([TwiceA, TwiceB])).rejects.toThrow(`Two processors for job ${JobName.SyncConnector}`);
  });
});
