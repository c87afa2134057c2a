import type { EnvDto } from '@sluice/core';
import { JobName, PruneHistoryPayload } from '@sluice/core';
import { FakeJob, FakeQueue, TENANT_A, TENANT_B } from '../../../../test/fakes/common';
import { FakeHistoryRepository } from '../../../../test/fakes/history';
import type { HistoryRepository } from '../history.repository';
import { HistoryService } from '../history.service';
import { PRUNE_HISTORY_EVERY_MS, PRUNE_HISTORY_JOB_ID, PruneHistoryProcessor } from './prune-history.processor';

describe('PruneHistoryProcessor', () => {
  let repo: FakeHistoryRepository;
  let queue: FakeQueue<PruneHistoryPayload>;
  let processor: PruneHistoryProcessor;

  beforeEach(() => {
    repo = new FakeHistoryRepository();
    queue = new FakeQueue();
    const history = new HistoryService(repo as unknown as HistoryRepository, { HISTORY_MAX_PER_TENANT: 1 } as EnvDto);
    processor = new PruneHistoryProcessor(history, queue.asQueue());
  });

  it('registers one hourly repeatable job under a fixed id at start', async () => {
    await processor.onModuleInit();
    expect(queue.jobs).toEqual([
      expect.objectContaining({
        name: JobName.PruneHistory,
        data: {},
        opts: expect.objectContaining({ repeat: { every: PRUNE_HISTORY_EVERY_MS }, jobId: PRUNE_HISTORY_JOB_ID }),
      }),
    ]);
  });

  it('cuts every tenant back to its newest entries and reports how many went', async () => {
    repo.add({ tenantId: TENANT_A });
    const newestA = repo.add({ tenantId: TENANT_A });
    repo.add({ tenantId: TENANT_B });
    const newestB = repo.add({ tenantId: TENANT_B });
    expect(await processor.handle(new FakeJob<PruneHistoryPayload>({}).asJob())).toEqual({ deleted: 2 });
    expect([...repo.rows.keys()].sort()).toEqual([newestA.id, newestB.id].sort());
    expect(await processor.handle(new FakeJob<PruneHistoryPayload>({}).asJob())).toEqual({ deleted: 0 });
  });

  it('prunes only the tenant the job names', async () => {
    repo.add({ tenantId: TENANT_A });
    repo.add({ tenantId: TENANT_A });
    repo.add({ tenantId: TENANT_B });
    repo.add({ tenantId: TENANT_B });
    expect(await processor.handle(new FakeJob<PruneHistoryPayload>({ tenantId: TENANT_B }).asJob())).toEqual({
      deleted: 1,
    });
    expect([...repo.rows.values()].filter((h) => h.tenantId === TENANT_A)).toHaveLength(2);
  });
});
