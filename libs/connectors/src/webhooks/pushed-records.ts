import type { DiscoveredItem } from '../plugin/connector-plugin';

/** Injection token of the store of pushed records (documents live in a lib above this one). */
export const PUSHED_RECORDS = 'sluice:pushed-records';

export interface PushCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** Keeps records pushed to a connector as its documents, upserted by external id, in one transaction. */
export interface PushedRecords {
  store(target: { tenantId: string; connectorId: string }, items: DiscoveredItem[]): Promise<PushCounts>;
}
