import type { DiscoveredItem } from '@sluice/connectors';
import type { DocumentRepository } from './document.repository';
import { PushedRecordsStore } from './pushed-records.store';

const item: DiscoveredItem = { externalId: 'evt_1', kind: 'record', name: 'evt_1', checksum: 'c1' };
const target = { tenantId: 'ten_a', connectorId: 'con_a' };

function storeWith(upsert: jest.Mock) {
  const repo = {
    transaction: (work: (manager: unknown) => Promise<unknown>) => work({}),
    upsertBatch: upsert,
  } as unknown as DocumentRepository;
  return new PushedRecordsStore(repo);
}

describe('PushedRecordsStore', () => {
  it('upserts pushed records seen by no run (so no sync prunes them)', async () => {
    const upsert = jest.fn().mockResolvedValue({ created: 1, updated: 0, unchanged: 0 });
    expect(await storeWith(upsert).store(target, [item])).toEqual({ created: 1, updated: 0, unchanged: 0 });
    expect(upsert).toHaveBeenCalledWith({}, { ...target, runId: null }, [item], false);
  });

  it('tries once more when a concurrent push inserted the same record first', async () => {
    const upsert = jest
      .fn()
      .mockRejectedValueOnce(Object.assign(new Error('duplicate key'), { code: '23505' }))
      .mockResolvedValueOnce({ created: 0, updated: 1, unchanged: 0 });
    expect(await storeWith(upsert).store(target, [item])).toEqual({ created: 0, updated: 1, unchanged: 0 });
    expect(upsert).toHaveBeenCalledTimes(2);
  });

  it('lets other errors through, and stores nothing for an empty push', async () => {
    const upsert = jest.fn().mockRejectedValue(new Error('database down'));
    await expect(storeWith(upsert).store(target, [item])).rejects.toThrow('database down');
    expect(upsert).toHaveBeenCalledTimes(1);
    expect(await storeWith(upsert).store(target, [])).toEqual({ created: 0, updated: 0, unchanged: 0 });
  });
});
