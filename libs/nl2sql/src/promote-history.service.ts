import { Injectable } from '@nestjs/common';
import type { AuthContext } from '@sluice/auth';
import { ConflictError } from '@sluice/core';
import { ExampleService, ExampleWriteResponseDto } from '@sluice/examples';
import { HistoryService } from '@sluice/history';
import { PromoteHistoryDto } from './dto/promote-history.dto';

/**
 * Promotes a history entry into an example. It needs both history and examples, which are
 * siblings, so it lives here in the layer above them.
 */
@Injectable()
export class PromoteHistoryService {
  constructor(
    private readonly history: HistoryService,
    private readonly examples: ExampleService,
  ) {}

  /**
   * Turns a successful entry into an example (its question, SQL and connector, in the
   * connector's dialect). A failed entry, one without SQL, or one already promoted is a 409.
   */
  async promote(auth: AuthContext, id: string, dto: PromoteHistoryDto = {}): Promise<ExampleWriteResponseDto> {
    const entry = await this.history.get(auth, id);
    if (!entry.ok) {
      throw new ConflictError(
        'HISTORY_ENTRY_FAILED',
        'Only a successful entry can become an example; this one failed' + (entry.error ? `: ${entry.error}` : ''),
      );
    }
    if (!entry.sql)
      throw new ConflictError('HISTORY_ENTRY_WITHOUT_SQL', 'This entry has no SQL to turn into an example');
    if (entry.exampleId) {
      throw new ConflictError(
        'HISTORY_ALREADY_PROMOTED',
        `This entry is already example ${entry.exampleId} (promoted earlier, or answered from that example)`,
      );
    }
    const example = await this.examples.create(auth, {
      question: entry.question,
      sql: entry.sql,
      connectorId: entry.connectorId ?? undefined,
      dialect: dto.dialect,
      tags: dto.tags,
    });
    // Two promotions at once: the second to link undoes its example.
    if (!(await this.history.markPromoted(auth, id, example.id))) {
      await this.examples.remove(auth, example.id);
      throw new ConflictError('HISTORY_ALREADY_PROMOTED', 'This entry has just been promoted by another request');
    }
    return example;
  }
}
