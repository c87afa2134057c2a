export * from './history.module';
export * from './history.service';
export * from './http/history-http.module';
export * from './http/history-id.param';
export * from './jobs/history-jobs.module';
