import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import { EnvDto, NotFoundError, newId, decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '@sluice/core';
import { HistoryEntryEntity } from './history-entry.entity';
import { HistoryRepository } from './history.repository';
import { HistoryEntryResponseDto, HistoryPageDto, ListHistoryQueryDto } from './dto/history.dto';
import { mapHistoryEntry } from './mappers';

/** What NL2SQL records about one question. */
export interface HistoryRecord {
  tenantId: string;
  userId: string | null;
  connectorId: string | null;
  question: string;
  sql: string | null;
  ok: boolean;
  rowCount?: number | null;
  error?: string | null;
  durationMs: number;
  /** Generate-and-validate rounds; 1 when omitted. */
  attempts?: number;
  /** LLM tokens used, when an LLM was called. */
  usage?: { promptTokens: number; completionTokens: number } | null;
  /** The example that answered the question as asked, so promoting the entry cannot copy it. */
  exampleId?: string | null;
}

const HISTORY_NOT_FOUND = () => new NotFoundError('HISTORY_NOT_FOUND', 'History entry not found');

/** The questions asked in a tenant: recorded by NL2SQL, read by everyone in it, promotable to examples (by nl2sql). */
@Injectable()
export class HistoryService {
  constructor(
    private readonly history: HistoryRepository,
    private readonly env: EnvDto,
  ) {}

  /** Writes one entry (NL2SQL calls this after each question, whether it succeeded or not). */
  async record(entry: HistoryRecord): Promise<HistoryEntryResponseDto> {
    const values = {
      id: newId('history'),
      tenantId: entry.tenantId,
      userId: entry.userId,
      connectorId: entry.connectorId,
      question: entry.question,
      sql: entry.sql,
      ok: entry.ok,
      rowCount: entry.rowCount ?? null,
      error: entry.error ?? null,
      durationMs: Math.max(0, Math.round(entry.durationMs)),
      attempts: entry.attempts ?? 1,
      promptTokens: entry.usage?.promptTokens ?? null,
      completionTokens: entry.usage?.completionTokens ?? null,
      exampleId: entry.exampleId ?? null,
    };
    try {
      return mapHistoryEntry(await this.history.insert(values));
    } catch (e) {
      // The example that answered was deleted meanwhile (its foreign key fails): keep the entry, unlinked.
      if ((e as { code?: string }).code !== '23503' || values.exampleId === null) throw e;
      return mapHistoryEntry(await this.history.insert({ ...values, exampleId: null }));
    }
  }

  async list(auth: AuthContext, query: ListHistoryQueryDto): Promise<HistoryPageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filter = { q: query.q, connectorId: query.connectorId, ok: query.ok };
    const [rows, total] = await this.history.page(auth.tenantId, filter, limit, decodeCursor(query.cursor));
    return toPage(rows, total, limit, mapHistoryEntry);
  }

  async get(auth: AuthContext, id: string): Promise<HistoryEntryResponseDto> {
    return mapHistoryEntry(await this.find(auth.tenantId, id));
  }

  /**
   * Links the entry to the example it was promoted to (promotion itself lives in nl2sql, above
   * history and examples); false when another promotion linked it first.
   */
  markPromoted(auth: AuthContext, id: string, exampleId: string): Promise<boolean> {
    return this.history.linkExample(auth.tenantId, id, exampleId);
  }

  async remove(auth: AuthContext, id: string): Promise<void> {
    if (!(await this.history.delete(auth.tenantId, id))) throw HISTORY_NOT_FOUND();
  }

  /** Keeps the newest HISTORY_MAX_PER_TENANT entries of each tenant (or of one); returns how many went. */
  prune(tenantId?: string): Promise<number> {
    return this.history.pruneBeyond(this.env.HISTORY_MAX_PER_TENANT, tenantId);
  }

  private async find(tenantId: string, id: string): Promise<HistoryEntryEntity> {
    const found = await this.history.findOne(tenantId, id);
    if (!found) throw HISTORY_NOT_FOUND();
    return found;
  }
}
