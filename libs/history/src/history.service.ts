import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth/role';
import { EnvDto } from '@sluice/core/config/env.dto';
import { ConflictError, NotFoundError } from '@sluice/core/errors/domain-error';
import { newId } from '@sluice/core/ids/ids';
import { decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '@sluice/core/pagination/pagination';
import { ExampleService } from '@sluice/examples/example.service';
import { ExampleWriteResponseDto } from '@sluice/examples/http/dto/example.dto';
import { HistoryEntryEntity } from './history-entry.entity';
import { HistoryRepository } from './history.repository';
import {
  HistoryEntryResponseDto,
  HistoryPageDto,
  ListHistoryQueryDto,
  PromoteHistoryDto,
} from './http/dto/history.dto';
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
}

const HISTORY_NOT_FOUND = () => new NotFoundError('HISTORY_NOT_FOUND', 'History entry not found');

/** The questions asked in a tenant: recorded by NL2SQL, read by everyone in it, promotable to examples. */
@Injectable()
export class HistoryService {
  constructor(
    private readonly history: HistoryRepository,
    private readonly examples: ExampleService,
    private readonly env: EnvDto,
  ) {}

  /** Writes one entry (NL2SQL calls this after each question, whether it succeeded or not). */
  async record(entry: HistoryRecord): Promise<HistoryEntryResponseDto> {
    const saved = await this.history.insert({
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
      exampleId: null,
    });
    return mapHistoryEntry(saved);
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
   * Turns a successful entry into an example (its question, SQL and connector, in the
   * connector's dialect). A failed entry, one without SQL, or one already promoted is a 409.
   */
  async promote(auth: AuthContext, id: string, dto: PromoteHistoryDto = {}): Promise<ExampleWriteResponseDto> {
    const entry = await this.find(auth.tenantId, id);
    if (!entry.ok) {
      throw new ConflictError(
        'HISTORY_ENTRY_FAILED',
        'Only a successful entry can become an example; this one failed' + (entry.error ? `: ${entry.error}` : ''),
      );
    }
    if (!entry.sql)
      throw new ConflictError('HISTORY_ENTRY_WITHOUT_SQL', 'This entry has no SQL to turn into an example');
    if (entry.exampleId) {
      throw new ConflictError('HISTORY_ALREADY_PROMOTED', `This entry is already example ${entry.exampleId}`);
    }
    const example = await this.examples.create(auth, {
      question: entry.question,
      sql: entry.sql,
      connectorId: entry.connectorId ?? undefined,
      dialect: dto.dialect,
      tags: dto.tags,
    });
    // Two promotions at once: the second to link undoes its example.
    if (!(await this.history.linkExample(auth.tenantId, id, example.id))) {
      await this.examples.remove(auth, example.id);
      throw new ConflictError('HISTORY_ALREADY_PROMOTED', 'This entry has just been promoted by another request');
    }
    return example;
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
