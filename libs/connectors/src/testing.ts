// The test harness's second face: what tests may reach beyond the public face (index.ts) to seed
// and inspect rows or to drive a part directly. Only test code may import '@sluice/connectors/testing'
// (the lint rule `sluice/public-faces` refuses it elsewhere).

export { ConnectorEntity } from './connector.entity';
export { ConnectorRepository } from './connector.repository';
