import { EnvDto, SafeNetwork, SafeNetworkError } from '@sluice/core';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { contextFor } from '../../../../../test/helpers/connector-testing';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { freePort } from '../../../../../test/helpers/test-env';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import type { ConnectorContext } from '../../plugin/connector-plugin';
import { CONNECTOR_PLUGIN } from '../../plugin/connector-plugin.decorator';
import { AmazonKinesisConnector, type KinesisConfig } from './amazon-kinesis.connector';

const KEY_ID = 'AKIAKINESISTEST0001';
const SECRET = 'kinesis-secret-access-key';

interface SeenRequest {
  target: string | undefined;
  contentType: string | undefined;
  authorization: string;
  body: Record<string, unknown>;
}

/**
 * A local server speaking the Kinesis JSON 1.1 protocol for DescribeStreamSummary: one stream,
 * `clickstream`; unknown access keys answer UnrecognizedClientException as AWS does.
 */
function kinesisServer(seen: SeenRequest[]): Server {
  return createServer((req: IncomingMessage, res) => {
    void text(req).then((raw) => {
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      const authorization = req.headers.authorization ?? '';
      seen.push({
        target: req.headers['x-amz-target'] as string,
        contentType: req.headers['content-type'],
        authorization,
        body,
      });
      const fail = (type: string, message: string) => {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1' });
        res.end(JSON.stringify({ __type: type, message }));
      };
      if (req.headers['x-amz-target'] !== 'Kinesis_20131202.DescribeStreamSummary') {
        return fail('UnknownOperationException', 'unsupported');
      }
      if (!authorization.includes(`Credential=${KEY_ID}/`)) {
        return fail('UnrecognizedClientException', 'The security token included in the request is invalid.');
      }
      if (body.StreamName !== 'clickstream') {
        return fail(
          'ResourceNotFoundException',
          `Stream ${String(body.StreamName)} under account 000000000000 not found.`,
        );
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          StreamDescriptionSummary: {
            StreamName: 'clickstream',
            StreamARN: 'arn:aws:kinesis:eu-west-1:000000000000:stream/clickstream',
            StreamStatus: 'ACTIVE',
            OpenShardCount: 2,
            RetentionPeriodHours: 24,
            StreamCreationTimestamp: 1_700_000_000,
            EnhancedMonitoring: [],
          },
        }),
      );
    });
  });
}

describe('AmazonKinesisConnector', () => {
  const connector = new AmazonKinesisConnector(Object.assign(new EnvDto(), { CONNECTOR_PROBE_TIMEOUT_MS: 5_000 }));
  const seen: SeenRequest[] = [];
  let server: Server;
  let endpoint: string;

  const context = (
    config: Record<string, unknown> = {},
    auth: Record<string, unknown> = { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    net = new SafeNetwork('127.0.0.1'),
  ): ConnectorContext<KinesisConfig> =>
    contextFor(connector.parseConfig({ streamName: 'clickstream', region: 'eu-west-1', endpoint, ...config }, auth), {
      net,
    });

  beforeAll(async () => {
    server = kinesisServer(seen);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  it('is announced as a coming-soon stream type that can only be tested', () => {
    expect(Reflect.getMetadata(CONNECTOR_PLUGIN, AmazonKinesisConnector)).toMatchObject({
      type: 'amazon_kinesis',
      category: 'stream',
      readiness: 'coming_soon',
      capabilities: ['test'],
    });
  });

  describeConnectorContract('amazon_kinesis', () => connector, {
    valid: () => context(),
    probe: { streamName: 'clickstream', streamStatus: 'ACTIVE', openShards: 2 },
    failing: () => context({ streamName: 'missing-stream' }),
    failure: /^No stream named missing-stream in eu-west-1$/,
    refusal: {
      context: {
        context: () => context({}, undefined, new SafeNetwork(undefined)),
        error: { type: SafeNetworkError, code: 'ADDRESS_REFUSED' },
      },
    },
  });

  it('asks DescribeStreamSummary over the JSON protocol, signed with the access key', async () => {
    const outcome = await connector.test(context());
    expect(outcome).toMatchObject({ success: true, message: 'Stream clickstream is ACTIVE with 2 open shards' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      target: 'Kinesis_20131202.DescribeStreamSummary',
      contentType: 'application/x-amz-json-1.1',
      body: { StreamName: 'clickstream' },
    });
    expect(seen[0].authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAKINESISTEST0001\/\d{8}\/eu-west-1\/kinesis\//,
    );
    expect(seen[0].authorization).not.toContain(SECRET);
  });

  it('reports a missing stream', async () => {
    expect(await connector.test(context({ streamName: 'nope' }))).toMatchObject({
      success: false,
      message: 'No stream named nope in eu-west-1',
    });
  });

  it('reports refused credentials without the secret', async () => {
    const outcome = await connector.test(
      context({}, { accessKeyId: 'AKIAUNKNOWNKEY00001', secretAccessKey: 'other-secret', sessionToken: 'tok' }),
    );
    expect(outcome).toMatchObject({
      success: false,
      message: 'The credentials were refused by Kinesis (UnrecognizedClientException)',
    });
    expect(JSON.stringify(outcome)).not.toContain('other-secret');
  });

  it('reports an endpoint where nothing listens', async () => {
    const port = await freePort();
    const outcome = await connector.test(context({ endpoint: `http://127.0.0.1:${port}` }));
    expect(outcome.success).toBe(false);
    expect(outcome.message).toMatch(/Connection refused|could not be reached/);
  });

  it('refuses an endpoint on the metadata address before any request', async () => {
    await expect(connector.test(context({ endpoint: 'http://169.254.169.254' }))).rejects.toBeInstanceOf(
      SafeNetworkError,
    );
    expect(seen).toHaveLength(0);
  });

  it('names the field of a bad configuration', () => {
    const auth = { accessKeyId: KEY_ID, secretAccessKey: SECRET };
    for (const [config, field] of [
      [{ streamName: 'a b', region: 'eu-west-1' }, 'config.streamName'],
      [{ streamName: 's', region: 'Europe' }, 'config.region'],
      [{ streamName: 's', region: 'eu-west-1', endpoint: 'ftp://x' }, 'config.endpoint'],
    ] as const) {
      let error: unknown;
      try {
        connector.parseConfig(config, auth);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConnectorConfigError);
      expect((error as ConnectorConfigError).details).toEqual([expect.objectContaining({ field })]);
    }
  });
});
