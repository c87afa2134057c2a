// The test harness's second face: what tests may reach beyond the public face (index.ts) to seed
// and inspect rows or to drive a part directly. Only test code may import '@sluice/history/testing'
// (the lint rule `sluice/public-faces` refuses it elsewhere).

export { HistoryEntryEntity } from './history-entry.entity';
export { HistoryRepository } from './history.repository';
export type { HistoryFilter } from './history.repository';
export { PRUNE_HISTORY_EVERY_MS, PruneHistoryProcessor } from './jobs/prune-history.processor';
