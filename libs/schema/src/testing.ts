// The test harness's second face: what tests may reach beyond the public face (index.ts) to seed
// and inspect rows or to drive a part directly. Only test code may import '@sluice/schema/testing'
// (the lint rule `sluice/public-faces` refuses it elsewhere).

export { SchemaAnnotationEntity } from './schema-annotation.entity';
export { SchemaSnapshotEntity } from './schema-snapshot.entity';
export { SchemaRepository } from './schema.repository';
export type { AnnotationFilter } from './schema.repository';
