import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import { NotFoundError, newId, decodeCursor, DEFAULT_PAGE_SIZE, toPage } from '@sluice/core';
import type { SqlDialect } from '@sluice/core';
import { ExampleChecker } from './example-checker';
import { ExampleEntity } from './example.entity';
import { ExampleRepository } from './example.repository';
import {
  CreateExampleDto,
  ExamplePageDto,
  ExampleResponseDto,
  ExampleWriteResponseDto,
  ListExamplesQueryDto,
  UpdateExampleDto,
} from './dto/example.dto';
import { mapExample, mapWrittenExample } from './mappers';

export const EXAMPLE_NOT_FOUND = () => new NotFoundError('EXAMPLE_NOT_FOUND', 'Example not found');

/** Trimmed, lower-case, without duplicates or empties, in the order given. */
export function normaliseTags(tags: string[] | undefined): string[] {
  return [...new Set((tags ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

/** Few-shot examples: question → SQL, per tenant, optionally tied to one SQL connector. */
@Injectable()
export class ExampleService {
  constructor(
    private readonly examples: ExampleRepository,
    private readonly checker: ExampleChecker,
  ) {}

  async list(auth: AuthContext, query: ListExamplesQueryDto): Promise<ExamplePageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filter = { connectorId: query.connectorId, tag: query.tag?.trim().toLowerCase(), q: query.q };
    const [rows, total] = await this.examples.page(auth.tenantId, filter, limit, decodeCursor(query.cursor));
    return toPage(rows, total, limit, mapExample);
  }

  async get(auth: AuthContext, id: string): Promise<ExampleResponseDto> {
    return mapExample(await this.find(auth.tenantId, id));
  }

  async create(auth: AuthContext, dto: CreateExampleDto): Promise<ExampleWriteResponseDto> {
    const connectorId = dto.connectorId ?? null;
    const dialect = await this.checker.resolveDialect(auth.tenantId, connectorId, dto.dialect);
    const warnings = await this.checker.checkSql(auth.tenantId, dto.sql, dialect, connectorId);
    const created = await this.examples.insert({
      id: newId('example'),
      tenantId: auth.tenantId,
      connectorId,
      question: dto.question.trim(),
      sql: dto.sql,
      dialect,
      tags: normaliseTags(dto.tags),
      createdBy: auth.userId,
    });
    return mapWrittenExample(created, warnings);
  }

  /**
   * Changes the fields sent. The SQL is parsed again in the resulting dialect; a new connector
   * without `dialect` brings its own, `connectorId: null` detaches and keeps the dialect.
   */
  async update(auth: AuthContext, id: string, dto: UpdateExampleDto): Promise<ExampleWriteResponseDto> {
    const current = await this.find(auth.tenantId, id);
    const connectorId = dto.connectorId === undefined ? current.connectorId : dto.connectorId;
    const connectorChanged = dto.connectorId !== undefined && dto.connectorId !== current.connectorId;
    const sent: SqlDialect | undefined = dto.dialect ?? (connectorChanged && connectorId ? undefined : current.dialect);
    const dialect = await this.checker.resolveDialect(auth.tenantId, connectorId, sent);
    const sql = dto.sql ?? current.sql;
    const warnings = await this.checker.checkSql(auth.tenantId, sql, dialect, connectorId);

    const changes: Partial<ExampleEntity> = { connectorId, dialect, sql };
    if (dto.question !== undefined) changes.question = dto.question.trim();
    if (dto.tags !== undefined) changes.tags = normaliseTags(dto.tags);
    await this.examples.update(auth.tenantId, id, changes);
    return mapWrittenExample(await this.find(auth.tenantId, id), warnings);
  }

  async remove(auth: AuthContext, id: string): Promise<void> {
    if (!(await this.examples.delete(auth.tenantId, id))) throw EXAMPLE_NOT_FOUND();
  }

  private async find(tenantId: string, id: string): Promise<ExampleEntity> {
    const found = await this.examples.findOne(tenantId, id);
    if (!found) throw EXAMPLE_NOT_FOUND();
    return found;
  }
}
