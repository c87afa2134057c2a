import type { LoggerService } from '@nestjs/common';
import type { ConnectorContext, ConnectorPlugin, DiscoveredItem } from '../plugin/connector-plugin';
import { isCsv } from './content-sniffing';

/** CSV files whose rows a sync counts at most; past it the count is unknown (null). */
export const CSV_TALLY_MAX_FILES = 1_000;
/** Bytes of CSV a sync reads at most to count rows (1 GiB); past it the count is unknown (null). */
export const CSV_TALLY_MAX_BYTES = 1024 * 1024 * 1024;

const NEWLINE = 0x0a;

/** Data rows of a CSV stream: its physical lines minus the header, read chunk by chunk. */
export async function countCsvRows(
  stream: AsyncIterable<Buffer | string>,
  budget: { bytes: number },
  signal?: AbortSignal,
): Promise<number | 'over_budget'> {
  let lines = 0;
  let last = -1;
  for await (const chunk of stream) {
    signal?.throwIfAborted();
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    budget.bytes -= bytes.length;
    if (budget.bytes < 0) {
      (stream as { destroy?: () => void }).destroy?.();
      return 'over_budget';
    }
    for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) lines++;
    if (bytes.length > 0) last = bytes[bytes.length - 1];
  }
  // A last line without a newline is a line too; an empty file has none.
  if (last !== -1 && last !== NEWLINE) lines++;
  // Like uploads: physical lines, so a quoted field spanning lines counts once per line it spans.
  return Math.max(0, lines - 1);
}

/**
 * The row count a sync of a file source stamps on its connector (lastSyncRowCount): the data rows
 * of every CSV file the walk discovered. The walk only notes the CSV items; once it completed,
 * each is streamed once through the plugin's read() and its newlines counted, within a file and
 * byte budget so a huge source cannot make the count the longest part of the sync.
 */
export class CsvRowTally {
  private readonly items: Array<Pick<DiscoveredItem, 'externalId' | 'path'>> = [];
  private overflow = false;

  /** Notes the CSV files of one discovered batch. */
  note(batch: DiscoveredItem[]): void {
    for (const item of batch) {
      if (item.kind !== 'file' || !isCsv(item.mimeType ?? '', item.name)) continue;
      if (this.items.length === CSV_TALLY_MAX_FILES) {
        this.overflow = true;
        return;
      }
      this.items.push({ externalId: item.externalId, path: item.path });
    }
  }

  /**
   * The data rows of the noted CSV files; null when none was noted, or when the files or bytes
   * exceed the budget (an unknown count is better than a wrong one). A file that cannot be read
   * is left out with a warning: it no longer counts as reachable data.
   */
  async count<C>(plugin: ConnectorPlugin<C>, ctx: ConnectorContext<C>, logger: LoggerService): Promise<number | null> {
    if (!plugin.read || this.items.length === 0 || this.overflow) return null;
    const budget = { bytes: CSV_TALLY_MAX_BYTES };
    let rows = 0;
    for (const item of this.items) {
      let counted: number | 'over_budget';
      try {
        counted = await countCsvRows(await plugin.read(ctx, item), budget, ctx.signal);
      } catch (error) {
        ctx.signal.throwIfAborted();
        logger.warn(`Could not count the rows of ${item.externalId}: ${(error as Error).message}`);
        continue;
      }
      if (counted === 'over_budget') return null;
      rows += counted;
    }
    return rows;
  }
}
