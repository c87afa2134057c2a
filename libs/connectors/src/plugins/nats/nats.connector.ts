import { EnvDto } from '@sluice/core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import type {
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { connectionFailed, errorMessage, redact } from '../sql-common/connection-errors';
import { withDeadline } from '../sql-common/deadline';
import { digest, messageItem } from '../message-queue/message-batches';
import {
  NATS_AUTH_SCHEMA,
  NATS_CONFIG_SCHEMA,
  NATS_DESTINATION_FIELDS,
  type NatsConfig,
  parseNatsConfig,
} from './nats-config';

export type { NatsConfig } from './nats-config';

type NatsConnection = Awaited<ReturnType<typeof connect>>;

const noop = () => undefined;
/** JetStream refuses a pull that expires sooner. */
const MIN_PULL_MS = 1_000;

function errorName(error: unknown): string {
  return (error as { name?: unknown } | null)?.name === undefined ? '' : String((error as { name: unknown }).name);
}

/** How a fetch ends when two idle heartbeats of its pull did not arrive. */
function heartbeatsMissed(error: unknown): boolean {
  return errorName(error) === 'JetStreamError' && /heartbeats missed/i.test((error as Error).message);
}

/** `Nats-Msg-Id` when the publisher set one (JetStream's own dedupe id), else the stream sequence. */
export function natsExternalId(message: Pick<JsMsg, 'headers' | 'seq'>): string {
  const id = message.headers?.get('Nats-Msg-Id');
  return id ? id : `seq:${message.seq}`;
}

function headerObject(message: JsMsg): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!message.headers) return out;
  for (const [key, values] of message.headers) out[key] = values;
  return out;
}

function toItem(message: JsMsg, stream: string): DiscoveredItem {
  const externalId = natsExternalId(message);
  const headers = headerObject(message);
  const at = new Date(Number(message.info.timestampNanos / 1_000_000));
  const contentType = message.headers?.get('Content-Type') || undefined;
  return messageItem({
    externalId,
    name: externalId.startsWith('seq:') ? `${message.subject} #${message.seq}` : externalId,
    body: message.data,
    contentType,
    checksum: digest([message.data, JSON.stringify(Object.entries(headers).sort(([a], [b]) => a.localeCompare(b)))]),
    modifiedAt: at,
    metadata: {
      stream,
      subject: message.subject,
      streamSequence: message.seq,
      headers,
      contentType: contentType ?? null,
      timestamp: at.toISOString(),
    },
  });
}

/**
 * A NATS JetStream stream, read by batch polling through a durable pull consumer: a sync pulls
 * batches of up to batchSize until it has maxMessages, the deadline waitTimeoutMs passes, or a
 * pull comes back short after waiting idleMs (at least 1 s, JetStream's minimum): the stream is
 * drained. Each batch is acknowledged when the sync asks for the next one, after the store. A
 * walk that ends early hands its batch back at once (nak); a worker that dies acknowledges
 * nothing, and JetStream redelivers after the consumer's ack wait.
 */
@ConnectorPlugin({
  type: 'nats',
  category: 'stream',
  displayName: 'NATS JetStream',
  description: 'Messages of a JetStream stream, pulled in batches and acknowledged once stored as documents.',
  readiness: 'ready',
  capabilities: ['test', 'discover'],
  destinationFields: NATS_DESTINATION_FIELDS,
  syncMode: 'append',
})
export class NatsConnector implements ConnectorPluginContract<NatsConfig> {
  readonly configSchema: JsonSchema = NATS_CONFIG_SCHEMA;
  readonly authSchema: JsonSchema = NATS_AUTH_SCHEMA;

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): NatsConfig {
    return parseNatsConfig(config, auth);
  }

  async test(ctx: ConnectorContext<NatsConfig>): Promise<ProbeOutcome> {
    const { config } = ctx;
    const servers = await this.judge(ctx);
    const timeoutMs = this.env.CONNECTOR_PROBE_TIMEOUT_MS;
    let nc: NatsConnection | undefined;
    try {
      return await withDeadline(
        async () => {
          nc = await this.connect(config, servers, timeoutMs);
          const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
          const stream = await jsm.streams.info(config.stream);
          const consumer = await jsm.consumers.info(config.stream, config.consumer).catch((error: unknown) => {
            if (errorName(error) === 'ConsumerNotFoundError') return null;
            throw error;
          });
          const pending = consumer ? consumer.num_pending + consumer.num_ack_pending : null;
          return {
            success: true,
            message:
              `Connected to NATS ${nc.info?.version ?? ''}; stream "${config.stream}" holds ${stream.state.messages} messages; ` +
              (consumer
                ? `consumer "${config.consumer}" has ${pending} to deliver`
                : `consumer "${config.consumer}" will be created by the first sync`),
            details: {
              serverVersion: nc.info?.version,
              stream: config.stream,
              messages: stream.state.messages,
              consumer: config.consumer,
              consumerExists: consumer !== null,
              ...(pending !== null ? { pending } : {}),
            },
          };
        },
        timeoutMs,
        ctx.signal,
        () => void nc?.close().catch(noop),
      );
    } catch (error) {
      return { success: false, message: this.describe(error, config), details: {} };
    } finally {
      await nc?.close().catch(noop);
    }
  }

  async *discover(ctx: ConnectorContext<NatsConfig>): AsyncGenerator<DiscoveredItem[]> {
    const { config } = ctx;
    const servers = await this.judge(ctx);
    const started = Date.now();
    const timeoutMs = this.env.CONNECTOR_PROBE_TIMEOUT_MS;
    let nc: NatsConnection;
    try {
      nc = await withDeadline(() => this.connect(config, servers, timeoutMs), timeoutMs, ctx.signal, noop);
    } catch (error) {
      throw connectionFailed(error, (e) => this.describe(e, config));
    }
    let held: JsMsg[] = [];
    try {
      const consumer = await this.consumer(nc, config, timeoutMs).catch((error: unknown) => {
        throw error instanceof ConnectorRequestError
          ? error
          : new ConnectorRequestError(
              errorName(error) === 'StreamNotFoundError' ? 'STREAM_NOT_FOUND' : 'CONNECTION_FAILED',
              this.describe(error, config),
            );
      });
      const deadline = started + config.waitTimeoutMs;
      let taken = 0;
      while (taken < config.maxMessages) {
        ctx.signal.throwIfAborted();
        const want = Math.min(config.batchSize, config.maxMessages - taken);
        const expires = Math.min(Math.max(config.idleMs, MIN_PULL_MS), deadline - Date.now());
        if (expires < MIN_PULL_MS) break;
        const pull = await consumer.fetch({ max_messages: want, expires });
        const abort = () => pull.stop();
        ctx.signal.addEventListener('abort', abort, { once: true });
        try {
          for await (const message of pull) held.push(message);
        } catch (error) {
          // A pull's idle heartbeats come every expires / 2, and two missed end it: on a short
          // pull of an idle stream that can happen a moment before the server's own expiry
          // arrives. That is the same end of the pull, once a round trip shows the server is there.
          if (!heartbeatsMissed(error)) throw error;
          await nc.flush();
        } finally {
          ctx.signal.removeEventListener('abort', abort);
        }
        ctx.signal.throwIfAborted();
        if (held.length === 0) break;
        const short = held.length < want;
        taken += held.length;
        yield held.map((message) => toItem(message, config.stream));
        // Resumed: the batch is stored. Acknowledge it, and make sure the server has the acks.
        for (const message of held) message.ack();
        held = [];
        await nc.flush();
        if (short) break;
      }
    } finally {
      // A batch handed out but not stored goes back at once rather than after the ack wait.
      for (const message of held) message.nak();
      await nc.drain().catch(noop);
    }
  }

  /** The durable pull consumer, created with explicit acks when missing. */
  private async consumer(nc: NatsConnection, config: NatsConfig, timeoutMs: number) {
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
    await jsm.streams.info(config.stream);
    const info = await jsm.consumers.info(config.stream, config.consumer).catch(async (error: unknown) => {
      if (errorName(error) !== 'ConsumerNotFoundError') throw error;
      return jsm.consumers.add(config.stream, {
        durable_name: config.consumer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: config.ackWaitMs * 1_000_000,
        ...(config.subject ? { filter_subject: config.subject } : {}),
      });
    });
    if (info.config.ack_policy !== AckPolicy.Explicit) {
      throw new ConnectorRequestError(
        'CONSUMER_NOT_SUITABLE',
        `Consumer "${config.consumer}" must use explicit acknowledgements (it uses ${info.config.ack_policy})`,
      );
    }
    if (info.config.deliver_subject) {
      throw new ConnectorRequestError(
        'CONSUMER_NOT_SUITABLE',
        `Consumer "${config.consumer}" is a push consumer; give a pull consumer`,
      );
    }
    return jetstream(nc, { timeout: timeoutMs }).consumers.get(config.stream, config.consumer);
  }

  /** Every server, resolved and judged by the guard before any socket is opened. */
  private async judge(ctx: ConnectorContext<NatsConfig>): Promise<string[]> {
    const judged: string[] = [];
    for (const server of ctx.config.servers) {
      const { address, family } = await ctx.net.resolve(server.host);
      judged.push(family === 6 ? `[${address}]:${server.port}` : `${address}:${server.port}`);
    }
    return judged;
  }

  private connect(config: NatsConfig, servers: string[], timeoutMs: number): Promise<NatsConnection> {
    return connect({
      servers,
      // Only the judged addresses: no reconnects, no servers the cluster gossips about.
      reconnect: false,
      ignoreClusterUpdates: true,
      noRandomize: true,
      timeout: timeoutMs,
      name: 'sluice',
      ...(config.token ? { token: config.token } : {}),
      ...(config.username ? { user: config.username, pass: config.password } : {}),
    });
  }

  /** A message naming the cause (credentials, stream, network), never a secret. */
  private describe(error: unknown, config: NatsConfig): string {
    const target = config.servers.map((s) => `${s.host}:${s.port}`).join(', ');
    const name = errorName(error);
    const message = errorMessage(error);
    if (error instanceof ConnectorRequestError) return error.message;
    if (name === 'StreamNotFoundError') return `Stream "${config.stream}" does not exist`;
    if (name === 'AuthorizationError' || /authorization|authentication/i.test(message)) {
      return 'The NATS server refused the credentials (authorization violation)';
    }
    if (/connection refused/i.test(message)) return `Connection refused by ${target}: check the servers and ports.`;
    if (name === 'JetStreamNotEnabledError' || /jetstream not enabled/i.test(message)) {
      return `JetStream is not enabled on ${target}`;
    }
    if (name === 'DeadlineError' || name === 'TimeoutError' || /timeout/i.test(message)) {
      return `Timed out waiting for ${target}: check the servers, ports and firewall.`;
    }
    return redact(`Could not use stream "${config.stream}" on ${target}: ${message}`, [
      config.password,
      config.token,
      config.username,
    ]);
  }
}
