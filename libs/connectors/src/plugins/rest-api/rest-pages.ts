import { ConnectorRequestError } from '../../plugin/connector-errors';
import type { ConnectorContext } from '../../plugin/connector-plugin';
import { recordsAt, valueAtPath } from '../records-common/json-records';
import type { RestApiConfig } from './rest-api-config';
import { describeUrl, readJson, restRequest } from './rest-http';

export interface RestPage {
  number: number;
  records: unknown[];
}

/** The `rel="next"` target of a Link header (RFC 8288), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2]);
    if (rel && rel[1].toLowerCase().split(/\s+/).includes('next')) return match[1];
  }
  return null;
}

/**
 * Walks the pages of the API in order, one request each (with retries), until the pagination
 * style says there is no more, or maxPages. Page and offset styles stop at a short page; cursor
 * stops when the cursor is missing, empty or repeated; link when there is no rel=next.
 */
export async function* restPages(ctx: ConnectorContext<RestApiConfig>): AsyncGenerator<RestPage> {
  const config = ctx.config;
  const paging = config.pagination;
  const body = config.body === undefined ? undefined : JSON.stringify(config.body);
  let linkUrl: URL | null = null;
  let page = paging.startPage;
  let offset = 0;
  let cursor: string | null = null;
  const seenCursors = new Set<string>();

  for (let number = 0; number < config.maxPages; number++) {
    const url = linkUrl ?? new URL(config.url);
    if (paging.type === 'page') {
      url.searchParams.set(paging.pageParam, String(page));
      url.searchParams.set(paging.sizeParam, String(paging.pageSize));
    } else if (paging.type === 'offset') {
      url.searchParams.set(paging.offsetParam, String(offset));
      url.searchParams.set(paging.limitParam, String(paging.pageSize));
    } else if (paging.type === 'cursor' && cursor !== null) {
      url.searchParams.set(paging.cursorParam, cursor);
    }
    const answer = await restRequest(ctx, { url, method: config.method, body });
    const json = await readJson(answer, config);
    const records = recordsAt(json, config.recordsPath);
    if (records === null) {
      throw new ConnectorRequestError(
        'RECORDS_NOT_FOUND',
        `The answer of ${describeUrl(answer.url)} holds no records at ${config.recordsPath ? `"${config.recordsPath}"` : 'its root'} (config.recordsPath)`,
      );
    }
    yield { number, records };

    switch (paging.type) {
      case 'none':
        return;
      case 'page':
        if (records.length < paging.pageSize) return;
        page++;
        break;
      case 'offset':
        if (records.length < paging.pageSize) return;
        offset += records.length;
        break;
      case 'cursor': {
        const next = valueAtPath(json, paging.cursorPath);
        if ((typeof next !== 'string' && typeof next !== 'number') || next === '') return;
        cursor = String(next);
        if (seenCursors.has(cursor)) return;
        seenCursors.add(cursor);
        break;
      }
      case 'link': {
        const next = nextLink(answer.response.headers.get('link'));
        if (!next) return;
        try {
          linkUrl = new URL(next, answer.url);
        } catch {
          throw new ConnectorRequestError(
            'BAD_LINK',
            `The Link header of ${describeUrl(answer.url)} names an invalid URL`,
          );
        }
        break;
      }
    }
  }
  ctx.logger.warn?.(`REST API has more than maxPages (${config.maxPages}) pages; the rest are left out`);
}
