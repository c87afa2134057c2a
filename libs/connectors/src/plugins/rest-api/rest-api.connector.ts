import { EnvDto, SafeNetworkError } from '@sluice/core';
import { Readable } from 'node:stream';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import type {
  ByteRange,
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { recordItem } from '../records-common/json-records';
import {
  parseRestApiConfig,
  REST_API_AUTH_SCHEMA,
  REST_API_CONFIG_SCHEMA,
  type RestApiConfig,
} from './rest-api-config';
import { describeUrl, explain, restRequest } from './rest-http';
import { restPages } from './rest-pages';

const NOT_FOUND = (): ConnectorRequestError =>
  new ConnectorRequestError('RECORD_NOT_FOUND', 'The API no longer lists this record');

/**
 * Records listed by a JSON HTTP API, one document per record. Every request goes through the
 * safe-network guard (redirects followed by hand and judged hop by hop), credentials reach the
 * configured origin only, answers are capped in size, and 429/5xx are retried as Retry-After asks.
 */
@ConnectorPlugin({
  type: 'rest_api',
  category: 'api',
  displayName: 'REST API',
  description:
    'Records from a JSON HTTP API (GET or POST), paged by page number, offset, cursor or Link header; one document per record.',
  readiness: 'ready',
  capabilities: ['test', 'discover', 'read'],
  destinationFields: ['url', 'authType', 'apiKeyName'],
  pruneRecords: true,
})
export class RestApiConnector implements ConnectorPluginContract<RestApiConfig> {
  readonly configSchema: JsonSchema = REST_API_CONFIG_SCHEMA;
  readonly authSchema: JsonSchema = REST_API_AUTH_SCHEMA;

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): RestApiConfig {
    return parseRestApiConfig(config, auth, this.env.HTTP_RESPONSE_MAX_BYTES);
  }

  /**
   * An HTTP HEAD of the URL with the credentials (GET when HEAD is answered 405 or 501), without
   * retries: 2xx is success; 401/403 a credentials failure; anything else a failure naming it.
   */
  async test(ctx: ConnectorContext<RestApiConfig>): Promise<ProbeOutcome> {
    const url = new URL(ctx.config.url);
    const started = Date.now();
    try {
      let method: 'HEAD' | 'GET' = 'HEAD';
      let answer = await restRequest(ctx, { url, method }, 0);
      if (answer.response.status === 405 || answer.response.status === 501) {
        method = 'GET';
        answer = await restRequest(ctx, { url, method }, 0);
      }
      const { status } = answer.response;
      await answer.response.body?.cancel().catch(() => undefined);
      const details = { status, method, latencyMs: Date.now() - started };
      if (status >= 200 && status < 300) {
        return {
          success: true,
          message: `The API answered HTTP ${status} to ${method} ${describeUrl(answer.url)}`,
          details,
        };
      }
      if (status === 401 || status === 403) {
        return {
          success: false,
          message: `The API refused the credentials (HTTP ${status}); check authConfig and authType`,
          details,
        };
      }
      return {
        success: false,
        message: `The API answered HTTP ${status} to ${method} ${describeUrl(answer.url)}`,
        details,
      };
    } catch (error) {
      // A refused destination is not a probe result: the caller answers it as the guard's refusal.
      if (error instanceof SafeNetworkError) throw error;
      return { success: false, message: explain(error, url, ctx.config).message, details: {} };
    }
  }

  /** One batch per page; stops at maxRecords. */
  async *discover(ctx: ConnectorContext<RestApiConfig>): AsyncIterable<DiscoveredItem[]> {
    let count = 0;
    for await (const page of restPages(ctx)) {
      const room = ctx.config.maxRecords - count;
      const batch = page.records.slice(0, room).map((record) => recordItem(record, ctx.config.idField));
      count += batch.length;
      if (batch.length > 0) yield batch;
      if (count >= ctx.config.maxRecords) {
        if (page.records.length > room) {
          ctx.logger.warn?.(
            `REST API lists more than maxRecords (${ctx.config.maxRecords}) records; the rest are left out`,
          );
        }
        return;
      }
    }
  }

  /** The record again, found by walking the pages (an API offers no general way to fetch one). */
  async lookup(ctx: ConnectorContext<RestApiConfig>, externalId: string): Promise<DiscoveredItem | null> {
    for await (const batch of this.discover(ctx)) {
      const found = batch.find((item) => item.externalId === externalId);
      if (found) return found;
    }
    return null;
  }

  /** The record's JSON as the API gives it now; `range.end` is inclusive. */
  async read(
    ctx: ConnectorContext<RestApiConfig>,
    item: Pick<DiscoveredItem, 'externalId' | 'path'>,
    range: ByteRange = {},
  ): Promise<Readable> {
    for await (const page of restPages(ctx)) {
      for (const record of page.records) {
        if (recordItem(record, ctx.config.idField).externalId !== item.externalId) continue;
        const bytes = Buffer.from(JSON.stringify(record) ?? 'null');
        const start = range.start ?? 0;
        const end = range.end === undefined ? bytes.length : range.end + 1;
        return Readable.from([bytes.subarray(start, end)]);
      }
    }
    throw NOT_FOUND();
  }
}
