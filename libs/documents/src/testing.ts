// The test harness's second face: what tests may reach beyond the public face (index.ts) to seed
// and inspect rows or to drive a part directly. Only test code may import '@sluice/documents/testing'
// (the lint rule `sluice/public-faces` refuses it elsewhere).

export { DocumentEntity } from './document.entity';
export { fieldsFromItem, DocumentRepository } from './document.repository';
export type { BatchCounts, DocumentFilter } from './document.repository';
export { EMPTY_PROGRESS, SyncRunEntity } from './sync-run.entity';
export { SyncRunRepository } from './sync-run.repository';
export type { InsertActiveOutcome } from './sync-run.repository';
