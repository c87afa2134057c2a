// The test harness's second face: what tests may reach beyond the public face (index.ts) to seed
// and inspect rows or to drive a part directly. Only test code may import '@sluice/examples/testing'
// (the lint rule `sluice/public-faces` refuses it elsewhere).

export { ExampleEntity } from './example.entity';
export { ExampleRepository } from './example.repository';
export type { ExampleFilter } from './example.repository';
