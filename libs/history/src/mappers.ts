import { HistoryEntryEntity } from './history-entry.entity';
import { HistoryEntryResponseDto } from './dto/history.dto';

export function mapHistoryEntry(h: HistoryEntryEntity): HistoryEntryResponseDto {
  return {
    id: h.id,
    createdAt: h.createdAt.toISOString(),
    userId: h.userId,
    connectorId: h.connectorId,
    question: h.question,
    sql: h.sql,
    ok: h.ok,
    rowCount: h.rowCount,
    error: h.error,
    durationMs: h.durationMs,
    attempts: h.attempts,
    usage:
      h.promptTokens === null && h.completionTokens === null
        ? null
        : { promptTokens: h.promptTokens ?? 0, completionTokens: h.completionTokens ?? 0 },
    exampleId: h.exampleId,
  };
}
