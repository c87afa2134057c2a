// The test harness's second face: what tests may reach beyond the public face (index.ts) to seed
// and inspect rows or to drive a part directly. Only test code may import '@sluice/core/testing'
// (the lint rule `sluice/public-faces` refuses it elsewhere).

export { createPino, JsonLogger } from './logging/json-logger';
