export * from './document.service';
export * from './documents.module';
export * from './http/documents-http.module';
export * from './jobs/documents-jobs.module';
export * from './pushed-records.module';
export * from './sync.service';
export type { RunProgressDto, SyncRunResponseDto } from './dto/sync.dto';
