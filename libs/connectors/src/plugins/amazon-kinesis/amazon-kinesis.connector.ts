import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EnvDto, safeAgents, SafeNetworkError } from '@sluice/core';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import type {
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';

/** Configuration of an Amazon Kinesis connector, as parseConfig returns it (secrets included). */
export interface KinesisConfig {
  streamName: string;
  region: string;
  /** A Kinesis-compatible endpoint (e.g. LocalStack); null for AWS's own. */
  endpoint: string | null;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['streamName', 'region'],
  additionalProperties: false,
  properties: {
    streamName: {
      type: 'string',
      pattern: STREAM_NAME.source,
      description: 'Name of the Kinesis data stream',
      examples: ['clickstream'],
    },
    region: { type: 'string', pattern: REGION.source, description: 'AWS region', examples: ['us-east-1'] },
    endpoint: {
      type: 'string',
      format: 'uri',
      maxLength: 2000,
      description: 'A Kinesis-compatible endpoint instead of AWS (http or https)',
      examples: ['https://kinesis.us-east-1.amazonaws.com'],
    },
  },
};

const AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['accessKeyId', 'secretAccessKey'],
  additionalProperties: false,
  properties: {
    accessKeyId: { type: 'string', minLength: 16, maxLength: 128, description: 'AWS access key id' },
    secretAccessKey: { type: 'string', minLength: 1, maxLength: 256, description: 'AWS secret access key' },
    sessionToken: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      description: 'Session token of temporary credentials',
    },
  },
};

const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
]);

/**
 * Amazon Kinesis Data Streams: coming soon. The connection test is real (DescribeStreamSummary
 * through the AWS SDK, its sockets judged by the safe-network guard); reading records is not
 * built yet, so the type has no discover() and a sync answers 409 CONNECTOR_NOT_AVAILABLE.
 */
@ConnectorPlugin({
  type: 'amazon_kinesis',
  category: 'stream',
  displayName: 'Amazon Kinesis',
  description: 'An Amazon Kinesis data stream. Coming soon: the connection test works, syncs do not yet.',
  readiness: 'coming_soon',
  capabilities: ['test'],
  destinationFields: ['region', 'endpoint'],
})
export class AmazonKinesisConnector implements ConnectorPluginContract<KinesisConfig> {
  readonly configSchema = CONFIG_SCHEMA;
  readonly authSchema = AUTH_SCHEMA;

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): KinesisConfig {
    const { streamName, region, endpoint } = config as Record<string, string | undefined>;
    const problem = (field: string, message: string) => new ConnectorConfigError([{ field, messages: [message] }]);
    if (!streamName || !STREAM_NAME.test(streamName)) throw problem('config.streamName', 'must be a stream name');
    if (!region || !REGION.test(region)) throw problem('config.region', 'must be an AWS region such as us-east-1');
    if (endpoint !== undefined) {
      let url: URL | null;
      try {
        url = new URL(endpoint);
      } catch {
        url = null;
      }
      if (!url || !['http:', 'https:'].includes(url.protocol) || url.username || url.password) {
        throw problem('config.endpoint', 'must be an http(s) URL without credentials');
      }
    }
    const { accessKeyId, secretAccessKey, sessionToken } = auth as Record<string, string | undefined>;
    if (!accessKeyId) throw problem('authConfig.accessKeyId', 'is required');
    if (!secretAccessKey) throw problem('authConfig.secretAccessKey', 'is required');
    return {
      streamName,
      region,
      endpoint: endpoint ?? null,
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
    };
  }

  async test(ctx: ConnectorContext<KinesisConfig>): Promise<ProbeOutcome> {
    const { config } = ctx;
    const endpoint = new URL(config.endpoint ?? `https://kinesis.${config.region}.amazonaws.com`);
    // Judged before the SDK exists: a refused endpoint never gets a socket (the agents judge again).
    await ctx.net.resolve(endpoint.hostname.replace(/^\[|\]$/g, ''));
    const agents = safeAgents(ctx.net, { keepAlive: false });
    const client = new KinesisClient({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      credentials: {
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey,
        ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
      },
      maxAttempts: 1,
      // HTTP/1.1 on purpose: the client's default HTTP/2 handler takes no agents, so its sockets
      // would bypass the safe-network guard.
      requestHandler: new NodeHttpHandler({
        ...agents,
        connectionTimeout: this.env.CONNECTOR_PROBE_TIMEOUT_MS,
        requestTimeout: this.env.CONNECTOR_PROBE_TIMEOUT_MS,
      }),
    });
    try {
      const { StreamDescriptionSummary: summary } = await client.send(
        new DescribeStreamSummaryCommand({ StreamName: config.streamName }),
        { abortSignal: ctx.signal },
      );
      const status = summary?.StreamStatus ?? 'UNKNOWN';
      const shards = summary?.OpenShardCount ?? 0;
      return {
        success: true,
        message: `Stream ${config.streamName} is ${status} with ${shards} open shard${shards === 1 ? '' : 's'}`,
        ...(status !== 'ACTIVE' ? { warning: `The stream is ${status}, not ACTIVE` } : {}),
        details: { streamName: config.streamName, streamStatus: status, openShards: shards },
      };
    } catch (error) {
      if (error instanceof SafeNetworkError) throw error;
      return { success: false, message: this.describe(error, config), details: {} };
    } finally {
      client.destroy();
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    }
  }

  private describe(error: unknown, config: KinesisConfig): string {
    const name = (error as { name?: string }).name ?? '';
    const code = (error as { code?: string }).code;
    if (name === 'ResourceNotFoundException') {
      return `No stream named ${config.streamName} in ${config.region}`;
    }
    if (CREDENTIAL_ERRORS.has(name)) return `The credentials were refused by Kinesis (${name})`;
    if (name === 'AccessDeniedException') return `Access denied to stream ${config.streamName} (${name})`;
    if (code === 'ECONNREFUSED') return 'Connection refused by the Kinesis endpoint';
    if (name === 'TimeoutError' || name === 'AbortError') return 'Timed out reaching the Kinesis endpoint';
    return name && /^[A-Za-z]+$/.test(name) && name !== 'Error'
      ? `Kinesis answered ${name}`
      : 'Kinesis could not be reached';
  }
}
