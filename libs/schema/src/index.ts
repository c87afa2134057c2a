export * from './annotation.service';
export * from './http/schema-http.module';
export * from './jobs/schema-jobs.module';
export * from './schema-model';
export * from './schema.module';
export * from './schema.service';
export * from './trained-tables';
