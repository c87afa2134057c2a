import { DocumentEntity } from './document.entity';
import { DocumentResponseDto, SyncRunResponseDto } from './dto/sync.dto';
import { SyncRunEntity } from './sync-run.entity';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function mapRun(r: SyncRunEntity): SyncRunResponseDto {
  return {
    id: r.id,
    connectorId: r.connectorId,
    status: r.status,
    force: r.force,
    progress: r.progress,
    error: r.error,
    cancelRequested: r.cancelRequested,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    createdAt: r.createdAt.toISOString(),
  };
}

export function mapDocument(d: DocumentEntity): DocumentResponseDto {
  return {
    id: d.id,
    connectorId: d.connectorId,
    externalId: d.externalId,
    kind: d.kind,
    name: d.name,
    path: d.path,
    mimeType: d.mimeType,
    size: d.size === null ? null : Number(d.size),
    checksum: d.checksum,
    status: d.status,
    error: d.error,
    metadata: d.metadata,
    syncedAt: iso(d.syncedAt),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}
