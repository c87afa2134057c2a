import { Injectable, Logger } from '@nestjs/common';
import {
  BadRequestError,
  EnvDto,
  InjectRedis,
  inspectJson,
  PayloadTooLargeError,
  RateLimiter,
  UnauthorizedError,
} from '@sluice/core';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ConnectorRegistry } from '../connector.registry';
import { ConnectorRepository } from '../connector.repository';
import { ConnectorRuntime } from '../connector.runtime';
import type { DiscoveredItem } from '../plugin/connector-plugin';
import type { WebhookConfig } from '../plugins/webhook/webhook.connector';
import { recordItem, recordsAt } from '../plugins/records-common/json-records';
import { verifyWebhook, WEBHOOK_TOLERANCE_SECONDS } from './webhook-signature';

const CONNECTOR_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Records one push may carry at most (413 TOO_MANY_RECORDS beyond). */
export const WEBHOOK_MAX_RECORDS = 1_000;

export interface PushRequest {
  body: Readable;
  contentLength?: number;
  timestamp?: string;
  signature?: string;
}

/** A push whose signature checked out: where its records go, and the records as documents. */
export interface AdmittedPush {
  tenantId: string;
  connectorId: string;
  items: DiscoveredItem[];
}

/**
 * One answer for every reason a push is not trusted (unknown id, another type, bad or missing
 * signature, stale timestamp, replay), so a caller learns nothing about which connectors exist.
 */
const rejected = (): UnauthorizedError =>
  new UnauthorizedError(
    'WEBHOOK_REJECTED',
    'The push was not accepted: the connector id, the timestamp or the signature is not valid',
  );

/**
 * Admits pushes to webhook connectors: rate limit per connector, the body read up to
 * WEBHOOK_MAX_BODY_BYTES (413 before reading more), the signature checked with the connector's
 * secret in constant time, a replay of an accepted (timestamp, signature) refused while the
 * timestamp is still acceptable (remembered in Redis), then the records parsed into documents.
 */
@Injectable()
export class WebhookIntake {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly repo: ConnectorRepository,
    private readonly registry: ConnectorRegistry,
    private readonly runtime: ConnectorRuntime,
    private readonly limiter: RateLimiter,
    @InjectRedis() private readonly redis: Redis,
    private readonly env: EnvDto,
  ) {}

  async admit(connectorId: string, request: PushRequest): Promise<AdmittedPush> {
    // No connector has such an id; refused before it becomes a rate-limit key of any size.
    if (!CONNECTOR_ID.test(connectorId)) return this.refuse(connectorId.slice(0, 64), 'malformed connector id');
    // Counted per id in the path, known or not: the limit answers alike for every id.
    await this.limiter.consume(
      'webhook',
      `webhook:${connectorId}`,
      this.env.WEBHOOK_RATE_LIMIT_PER_MINUTE,
      60_000,
      'pushes to this webhook',
    );
    const body = await this.readBody(request);

    const types = this.registry
      .list()
      .filter((registered) => registered.info.receivesPushes)
      .map((registered) => registered.info.type);
    const connector = await this.repo.findPushTarget(connectorId, types);
    if (!connector) return this.refuse(connectorId, 'unknown connector');
    let config: WebhookConfig;
    try {
      config = this.runtime.open(connector).parsed as WebhookConfig;
    } catch {
      return this.refuse(connectorId, 'no valid signing secret configured');
    }
    const verdict = verifyWebhook(config.secret, request.timestamp, request.signature, body);
    if (verdict !== 'ok') return this.refuse(connectorId, `signature ${verdict}`);

    // Remembered a little longer than a timestamp stays acceptable (tolerance both ways).
    const seen = createHash('sha256').update(`${request.timestamp}.${request.signature}`).digest('hex');
    const first = await this.redis.set(
      `webhook:seen:${connectorId}:${seen}`,
      '1',
      'EX',
      WEBHOOK_TOLERANCE_SECONDS * 2 + 60,
      'NX',
    );
    if (first !== 'OK') return this.refuse(connectorId, 'replay of an accepted push');

    return { tenantId: connector.tenantId, connectorId, items: this.parse(body, config) };
  }

  private refuse(connectorId: string, reason: string): never {
    this.logger.warn({ connectorId, msg: `Webhook push refused: ${reason}` });
    throw rejected();
  }

  /** The body, at most WEBHOOK_MAX_BODY_BYTES: a larger Content-Length is refused unread. */
  private async readBody(request: PushRequest): Promise<Buffer> {
    const max = this.env.WEBHOOK_MAX_BODY_BYTES;
    const tooLarge = () =>
      new PayloadTooLargeError(
        'WEBHOOK_BODY_TOO_LARGE',
        `The push is larger than WEBHOOK_MAX_BODY_BYTES (${max} bytes)`,
      );
    if (request.contentLength !== undefined && request.contentLength > max) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request.body) {
      size += (chunk as Buffer).length;
      if (size > max) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private parse(body: Buffer, config: WebhookConfig): DiscoveredItem[] {
    const inspection = inspectJson(body, this.env.JSON_MAX_DEPTH);
    if (inspection.tooDeep) {
      throw new BadRequestError('JSON_TOO_DEEP', `The pushed JSON nests deeper than ${this.env.JSON_MAX_DEPTH} levels`);
    }
    if (inspection.hasNul) {
      throw new BadRequestError(
        'JSON_HAS_NUL',
        'The pushed JSON holds a NUL character (\\u0000), which cannot be stored',
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new BadRequestError('INVALID_JSON', 'The pushed body is not JSON');
    }
    const records = recordsAt(json, config.recordsPath);
    if (records === null) {
      throw new BadRequestError(
        'RECORDS_NOT_FOUND',
        `The pushed body holds no object or array at ${config.recordsPath ? `"${config.recordsPath}"` : 'its root'} (config.recordsPath)`,
      );
    }
    if (records.length > WEBHOOK_MAX_RECORDS) {
      throw new PayloadTooLargeError(
        'TOO_MANY_RECORDS',
        `A push may carry at most ${WEBHOOK_MAX_RECORDS} records; this one has ${records.length}`,
      );
    }
    return records.map((record) => recordItem(record, config.idField));
  }
}
