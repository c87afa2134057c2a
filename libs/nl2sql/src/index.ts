export * from './http/nl2sql-http.module';
export * from './http/promote-history-http.module';
export * from './trained-tables.module';
