import { EnvDto } from '@sluice/core';
import { finished, type Readable } from 'node:stream';
import type {
  ByteRange,
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import {
  bounded,
  failureMessage,
  inItemBatches,
  maxObjectsSchema,
  objectKey,
  PROBE_PAGE_SIZE,
  rangeHeader,
  reachableOutcome,
  requestError,
  toItem,
} from '../object-storage/object-storage';
import { firstS3Page, getS3, headS3, openS3, s3Pages, type S3Target } from '../object-storage/s3-store';
import { GcsJsonApi } from './gcs-json-api';
import { parseGcsConfig, type GcsConfig } from './gcs-config';

export type { GcsConfig } from './gcs-config';

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Google Cloud Storage bucket',
  additionalProperties: false,
  properties: {
    bucket: {
      type: 'string',
      title: 'Bucket',
      minLength: 3,
      maxLength: 222,
      description: 'Bucket name. Give bucket and project, or gcsUrl.',
      examples: ['acme-analytics'],
    },
    project: {
      type: 'string',
      title: 'Project',
      maxLength: 64,
      description: 'Google Cloud project id that owns the bucket (required with bucket).',
      examples: ['acme-prod'],
    },
    gcsUrl: {
      type: 'string',
      title: 'GCS URL',
      maxLength: 2048,
      description: 'gs://bucket or gs://bucket/prefix, instead of bucket and prefix.',
      examples: ['gs://acme-analytics/data'],
    },
    gcs_url: {
      type: 'string',
      maxLength: 2048,
      description: 'Alias of gcsUrl.',
      examples: ['gs://acme-analytics/data'],
    },
    prefix: { type: 'string', maxLength: 1024, description: 'Only objects below this prefix.', examples: ['data/'] },
    apiEndpoint: {
      type: 'string',
      title: 'API endpoint',
      maxLength: 2048,
      description: 'The Cloud Storage endpoint, for private endpoints. Defaults to https://storage.googleapis.com.',
      examples: ['https://storage.googleapis.com'],
    },
    maxObjects: maxObjectsSchema,
  },
};

const AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Credentials (a service account key, or HMAC keys)',
  additionalProperties: false,
  properties: {
    serviceAccountJson: {
      type: 'string',
      title: 'Service account key (JSON)',
      maxLength: 16384,
      description: 'The JSON key file of a service account with storage.objects.list and storage.objects.get.',
    },
    hmacAccessId: { type: 'string', title: 'HMAC access id', maxLength: 256, examples: ['GOOG1EXAMPLE'] },
    hmacSecret: { type: 'string', title: 'HMAC secret', maxLength: 256 },
  },
};

/**
 * A Google Cloud Storage bucket. With a service account key it speaks the JSON API (objects,
 * generation as checksum); with HMAC keys, the S3-compatible XML API (ETag as checksum). No FUSE
 * mount: listings and ranged reads go over HTTPS through the safe-network guard.
 */
@ConnectorPlugin({
  type: 'gcs',
  category: 'object_storage',
  displayName: 'Google Cloud Storage',
  description: 'Objects of a Google Cloud Storage bucket, read with a service account key or HMAC keys.',
  readiness: 'ready',
  capabilities: ['test', 'discover', 'read'],
  destinationFields: ['bucket', 'project', 'gcsUrl', 'gcs_url', 'apiEndpoint'],
})
export class GcsConnector implements ConnectorPluginContract<GcsConfig> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema = AUTH_SCHEMA;

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): GcsConfig {
    return parseGcsConfig(config, auth);
  }

  async test(ctx: ConnectorContext<GcsConfig>): Promise<ProbeOutcome> {
    const timeout = this.env.CONNECTOR_PROBE_TIMEOUT_MS;
    const details = { bucket: ctx.config.name, ...(ctx.config.project ? { project: ctx.config.project } : {}) };
    if (ctx.config.hmac) {
      const client = await openS3(ctx, this.s3(ctx.config), timeout);
      try {
        const { page, more } = await firstS3Page(
          client,
          this.s3(ctx.config),
          bounded(ctx.signal, timeout),
          PROBE_PAGE_SIZE,
        );
        return reachableOutcome('bucket', ctx.config, page, more, details);
      } catch (error) {
        return { success: false, message: this.failure(ctx.config, error), details: {} };
      } finally {
        client.destroy();
      }
    }
    const api = new GcsJsonApi(ctx, ctx.config.json!, bounded(ctx.signal, timeout));
    // Outside the try: a refused endpoint is the caller's to report, not a failed probe.
    await api.judge();
    try {
      await api.bucket();
      const { page, next } = await api.listPage(undefined, PROBE_PAGE_SIZE);
      return reachableOutcome('bucket', ctx.config, page, next !== undefined, details);
    } catch (error) {
      return { success: false, message: this.failure(ctx.config, error), details: {} };
    }
  }

  async *discover(ctx: ConnectorContext<GcsConfig>): AsyncIterable<DiscoveredItem[]> {
    if (ctx.config.hmac) {
      const client = await openS3(ctx, this.s3(ctx.config), this.env.CONNECTOR_PROBE_TIMEOUT_MS);
      try {
        yield* inItemBatches(
          ctx,
          ctx.config,
          this.guarded(ctx.config, s3Pages(client, this.s3(ctx.config), ctx.signal)),
        );
      } finally {
        client.destroy();
      }
      return;
    }
    const api = new GcsJsonApi(ctx, ctx.config.json!, ctx.signal);
    await api.judge();
    yield* inItemBatches(ctx, ctx.config, this.guarded(ctx.config, api.pages()));
  }

  async lookup(ctx: ConnectorContext<GcsConfig>, externalId: string): Promise<DiscoveredItem | null> {
    const key = objectKey(ctx.config, externalId);
    try {
      if (ctx.config.hmac) {
        const client = await openS3(ctx, this.s3(ctx.config), this.env.CONNECTOR_PROBE_TIMEOUT_MS);
        try {
          const found = await headS3(client, this.s3(ctx.config), key, ctx.signal);
          return found && toItem(ctx.config, found);
        } finally {
          client.destroy();
        }
      }
      const api = new GcsJsonApi(ctx, ctx.config.json!, ctx.signal);
      await api.judge();
      const found = await api.object(key);
      return found && toItem(ctx.config, found);
    } catch (error) {
      throw this.requestError(ctx.config, error);
    }
  }

  /** Streams one object below the prefix; `range.end` is inclusive. */
  async read(
    ctx: ConnectorContext<GcsConfig>,
    item: Pick<DiscoveredItem, 'externalId' | 'path'>,
    range?: ByteRange,
  ): Promise<Readable> {
    const key = objectKey(ctx.config, item.externalId);
    const header = rangeHeader(range);
    if (ctx.config.hmac) {
      const client = await openS3(ctx, this.s3(ctx.config), this.env.CONNECTOR_PROBE_TIMEOUT_MS);
      try {
        const body = await getS3(client, this.s3(ctx.config), key, header, ctx.signal);
        finished(body, () => client.destroy());
        return body;
      } catch (error) {
        client.destroy();
        throw this.requestError(ctx.config, error);
      }
    }
    const api = new GcsJsonApi(ctx, ctx.config.json!, ctx.signal);
    await api.judge();
    try {
      return await api.download(key, header);
    } catch (error) {
      throw this.requestError(ctx.config, error);
    }
  }

  /** The XML API with HMAC keys is S3-compatible: the shared S3 code does the talking. */
  private s3(config: GcsConfig): S3Target {
    return {
      name: config.name,
      prefix: config.prefix,
      maxObjects: config.maxObjects,
      region: 'auto',
      endpoint: config.apiEndpoint,
      forcePathStyle: true,
      accessKeyId: config.hmac!.accessId,
      secretAccessKey: config.hmac!.secret,
    };
  }

  private async *guarded<T>(config: GcsConfig, pages: AsyncIterable<T>): AsyncIterable<T> {
    try {
      yield* pages;
    } catch (error) {
      throw this.requestError(config, error);
    }
  }

  private requestError(config: GcsConfig, error: unknown): Error {
    return requestError('bucket', config.name, error, config.apiEndpoint.host);
  }

  private failure(config: GcsConfig, error: unknown): string {
    return failureMessage('bucket', config.name, error, config.apiEndpoint.host);
  }
}
