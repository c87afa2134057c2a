export * from './client';
export * from './errors';
export * from './server-sent-events';
export type { components, operations, paths } from './generated/schema';
