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
  normalizePrefix,
  objectKey,
  optionalString,
  parseEndpoint,
  parseMaxObjects,
  prefixSchema,
  PROBE_PAGE_SIZE,
  problem,
  rangeHeader,
  reachableOutcome,
  requestError,
  requiredString,
  toItem,
} from '../object-storage/object-storage';
import {
  endpointLabel,
  firstS3Page,
  getS3,
  headS3,
  openS3,
  s3Endpoint,
  s3Pages,
  type S3Target,
} from '../object-storage/s3-store';

export type AwsS3Config = S3Target;

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z0-9]+)+-\d$|^[a-z0-9-]{1,32}$/;

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Amazon S3 bucket',
  required: ['bucket'],
  additionalProperties: false,
  properties: {
    bucket: {
      type: 'string',
      title: 'Bucket',
      minLength: 3,
      maxLength: 63,
      description: 'Bucket name (3 to 63 lower-case letters, digits, dots and hyphens).',
      examples: ['acme-exports'],
    },
    region: {
      type: 'string',
      title: 'Region',
      default: 'us-east-1',
      maxLength: 32,
      description: 'AWS region of the bucket.',
      examples: ['eu-west-1'],
    },
    prefix: prefixSchema('exports/2026/'),
    endpoint: {
      type: 'string',
      title: 'Endpoint',
      maxLength: 2048,
      description: 'For S3-compatible stores (MinIO, Ceph, R2...): the service URL. Leave out for Amazon S3.',
      examples: ['https://minio.example.com:9000'],
    },
    forcePathStyle: {
      type: 'boolean',
      title: 'Path-style addressing',
      default: false,
      description: 'Address the bucket as endpoint/bucket instead of bucket.endpoint (most S3-compatible stores).',
    },
    maxObjects: maxObjectsSchema,
  },
};

const AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Access key',
  additionalProperties: false,
  properties: {
    accessKeyId: { type: 'string', title: 'Access key id', maxLength: 256, examples: ['AKIAIOSFODNN7EXAMPLE'] },
    secretAccessKey: { type: 'string', title: 'Secret access key', maxLength: 256 },
    sessionToken: {
      type: 'string',
      title: 'Session token',
      maxLength: 4096,
      description: 'Only for temporary credentials (STS).',
    },
  },
};

/**
 * An Amazon S3 bucket, or a bucket of an S3-compatible store given its endpoint. Objects under
 * the prefix become documents (ETag as checksum); reads stream ranged GETs.
 */
@ConnectorPlugin({
  type: 'aws_s3',
  category: 'object_storage',
  displayName: 'Amazon S3',
  description: 'Objects of an Amazon S3 bucket (or an S3-compatible store), read with an access key.',
  readiness: 'ready',
  capabilities: ['test', 'discover', 'read'],
  destinationFields: ['bucket', 'region', 'endpoint', 'forcePathStyle'],
})
export class AwsS3Connector implements ConnectorPluginContract<AwsS3Config> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema = AUTH_SCHEMA;

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): AwsS3Config {
    const name = requiredString(config.bucket, 'config.bucket', 'bucket');
    if (!BUCKET.test(name)) {
      throw problem('config.bucket', 'must be 3 to 63 lower-case letters, digits, dots and hyphens');
    }
    const region = optionalString(config.region, 'config.region') ?? 'us-east-1';
    if (!REGION.test(region)) throw problem('config.region', 'must be an AWS region such as eu-west-1');
    if (config.forcePathStyle !== undefined && typeof config.forcePathStyle !== 'boolean') {
      throw problem('config.forcePathStyle', 'must be true or false');
    }
    return {
      name,
      region,
      prefix: normalizePrefix(config.prefix),
      endpoint: parseEndpoint(config.endpoint, 'config.endpoint'),
      forcePathStyle: config.forcePathStyle === true,
      maxObjects: parseMaxObjects(config.maxObjects),
      accessKeyId: requiredString(auth.accessKeyId, 'authConfig.accessKeyId', 'accessKeyId'),
      secretAccessKey: requiredString(auth.secretAccessKey, 'authConfig.secretAccessKey', 'secretAccessKey'),
      sessionToken: optionalString(auth.sessionToken, 'authConfig.sessionToken'),
    };
  }

  async test(ctx: ConnectorContext<AwsS3Config>): Promise<ProbeOutcome> {
    // Outside the try: a refused endpoint is the caller's to report, not a failed probe.
    const client = await openS3(ctx, ctx.config, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    try {
      const signal = bounded(ctx.signal, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
      const { page, more } = await firstS3Page(client, ctx.config, signal, PROBE_PAGE_SIZE);
      return reachableOutcome('bucket', ctx.config, page, more, { bucket: ctx.config.name });
    } catch (error) {
      return { success: false, message: this.failure(ctx.config, error), details: {} };
    } finally {
      client.destroy();
    }
  }

  async *discover(ctx: ConnectorContext<AwsS3Config>): AsyncIterable<DiscoveredItem[]> {
    const client = await openS3(ctx, ctx.config, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    try {
      yield* inItemBatches(ctx, ctx.config, this.guarded(ctx.config, s3Pages(client, ctx.config, ctx.signal)));
    } finally {
      client.destroy();
    }
  }

  async lookup(ctx: ConnectorContext<AwsS3Config>, externalId: string): Promise<DiscoveredItem | null> {
    const key = objectKey(ctx.config, externalId);
    const client = await openS3(ctx, ctx.config, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    try {
      const found = await headS3(client, ctx.config, key, ctx.signal);
      return found && !key.endsWith('/') ? toItem(ctx.config, found) : null;
    } catch (error) {
      throw requestError('bucket', ctx.config.name, error, this.where(ctx.config));
    } finally {
      client.destroy();
    }
  }

  /** Streams one object below the prefix; `range.end` is inclusive. */
  async read(
    ctx: ConnectorContext<AwsS3Config>,
    item: Pick<DiscoveredItem, 'externalId' | 'path'>,
    range?: ByteRange,
  ): Promise<Readable> {
    const key = objectKey(ctx.config, item.externalId);
    const header = rangeHeader(range);
    const client = await openS3(ctx, ctx.config, this.env.CONNECTOR_PROBE_TIMEOUT_MS);
    try {
      const body = await getS3(client, ctx.config, key, header, ctx.signal);
      finished(body, () => client.destroy());
      return body;
    } catch (error) {
      client.destroy();
      throw requestError('bucket', ctx.config.name, error, this.where(ctx.config));
    }
  }

  private async *guarded<T>(target: AwsS3Config, pages: AsyncIterable<T>): AsyncIterable<T> {
    try {
      yield* pages;
    } catch (error) {
      throw requestError('bucket', target.name, error, this.where(target));
    }
  }

  private failure(target: AwsS3Config, error: unknown): string {
    return failureMessage('bucket', target.name, error, this.where(target));
  }

  private where(target: AwsS3Config): string {
    return endpointLabel(s3Endpoint(target));
  }
}
