import { EnvDto } from '@sluice/core';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import type {
  ConnectorContext,
  ConnectorPlugin as ConnectorPluginContract,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';
import { ConnectorPlugin } from '../../plugin/connector-plugin.decorator';
import { connectionFailed, describeTransportError, errorMessage, redact } from '../sql-common/connection-errors';
import { withDeadline } from '../sql-common/deadline';
import { canonicalJson, digest, Inbox, messageItem } from '../message-queue/message-batches';
import {
  AMQP_AUTH_SCHEMA,
  AMQP_CONFIG_SCHEMA,
  AMQP_DESTINATION_FIELDS,
  type AmqpConfig,
  parseAmqpConfig,
} from './amqp-config';

export type { AmqpConfig } from './amqp-config';

const noop = () => undefined;

/** An open connection and channel to the broker; `close` never throws. */
interface Session {
  connection: ChannelModel;
  channel: Channel;
  close(): Promise<void>;
}

/** The error of a channel operation refused by the broker (amqplib puts the AMQP reply code on it). */
function replyCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The document id of a message: its `messageId` property when the publisher set one, else a hash
 * of its body and headers. Either is the same on every redelivery, so a message stored before a
 * crash and handed out again upserts as unchanged. Two distinct messages without ids but with the
 * same body and headers count as one: publishers that can repeat a payload should set messageId.
 */
export function amqpExternalId(message: Pick<ConsumeMessage, 'content' | 'properties'>): string {
  const id = message.properties.messageId as unknown;
  if (typeof id === 'string' && id !== '') return id;
  return `sha256:${digest([message.content, canonicalJson(message.properties.headers ?? {})])}`;
}

function toItem(message: ConsumeMessage, queue: string): DiscoveredItem {
  const { properties, fields, content } = message;
  const externalId = amqpExternalId(message);
  const timestamp = typeof properties.timestamp === 'number' ? new Date(properties.timestamp * 1000) : undefined;
  return messageItem({
    externalId,
    name: externalId.startsWith('sha256:') ? `message ${externalId.slice(7, 19)}` : externalId,
    body: content,
    contentType: properties.contentType as string | undefined,
    checksum: digest([content, canonicalJson(properties.headers ?? {}), String(properties.contentType ?? '')]),
    modifiedAt: timestamp,
    metadata: {
      queue,
      exchange: fields.exchange,
      routingKey: fields.routingKey,
      contentType: properties.contentType ?? null,
      headers: properties.headers ?? {},
      messageId: properties.messageId ?? null,
      timestamp: timestamp?.toISOString() ?? null,
      ...(properties.correlationId ? { correlationId: properties.correlationId } : {}),
      ...(properties.type ? { type: properties.type } : {}),
    },
  });
}

/**
 * A RabbitMQ queue (AMQP 0-9-1), read by batch polling as seed 002 reads Kafka: a sync takes up
 * to maxMessages within waitTimeoutMs, stores them, acknowledges them and closes.
 *
 * Messages arrive through a consumer with `prefetch` unacknowledged at most; each batch of up to
 * `prefetch` messages is yielded, and acknowledged (one multiple-ack) only when the sync asks for
 * the next batch, i.e. after the batch is stored. A sync ends at maxMessages, at waitTimeoutMs
 * after it began, or once no message has arrived for idleMs while it could take more (the queue
 * is drained; an empty queue ends the sync in about idleMs, not waitTimeoutMs). Whatever was not
 * acknowledged (a batch not stored, messages pushed beyond maxMessages) goes back to the queue
 * when the channel closes, or when the connection drops because the worker died.
 */
@ConnectorPlugin({
  type: 'amqp',
  category: 'stream',
  displayName: 'RabbitMQ (AMQP)',
  description: 'Messages of a RabbitMQ queue, taken in batches and acknowledged once stored as documents.',
  readiness: 'ready',
  capabilities: ['test', 'discover'],
  destinationFields: AMQP_DESTINATION_FIELDS,
  syncMode: 'append',
})
export class AmqpConnector implements ConnectorPluginContract<AmqpConfig> {
  readonly configSchema: JsonSchema = AMQP_CONFIG_SCHEMA;
  readonly authSchema: JsonSchema = AMQP_AUTH_SCHEMA;

  constructor(private readonly env: EnvDto) {}

  parseConfig(config: Record<string, unknown>, auth: Record<string, unknown>): AmqpConfig {
    return parseAmqpConfig(config, auth);
  }

  async test(ctx: ConnectorContext<AmqpConfig>): Promise<ProbeOutcome> {
    const { config } = ctx;
    // Outside the try: a refused address is the caller's to report, not a failed probe.
    const target = await ctx.net.resolve(config.host);
    let session: Session | undefined;
    const timeoutMs = this.env.CONNECTOR_PROBE_TIMEOUT_MS;
    try {
      return await withDeadline(
        async () => {
          session = await this.connect(config, target.address, timeoutMs);
          const queue = await this.checkQueue(session, config);
          const server = session.connection.connection.serverProperties;
          return {
            success: true,
            message:
              `Connected to ${server.product ?? 'the broker'} ${server.version ?? ''}`.trim() +
              `; queue "${config.queue}" holds ${queue.messageCount} messages`,
            details: {
              serverVersion: server.version,
              queue: config.queue,
              messages: queue.messageCount,
              consumers: queue.consumerCount,
            },
          };
        },
        timeoutMs,
        ctx.signal,
        () => void session?.close(),
      );
    } catch (error) {
      return { success: false, message: this.describe(error, config), details: {} };
    } finally {
      await session?.close();
    }
  }

  async *discover(ctx: ConnectorContext<AmqpConfig>): AsyncGenerator<DiscoveredItem[]> {
    const { config } = ctx;
    const target = await ctx.net.resolve(config.host);
    const started = Date.now();
    let session: Session;
    try {
      session = await withDeadline(
        () => this.connect(config, target.address, this.env.CONNECTOR_PROBE_TIMEOUT_MS),
        this.env.CONNECTOR_PROBE_TIMEOUT_MS,
        ctx.signal,
        noop,
      );
    } catch (error) {
      throw connectionFailed(error, (e) => this.describe(e, config));
    }
    try {
      await this.checkQueue(session, config).catch((error: unknown) => {
        throw new ConnectorRequestError(
          replyCode(error) === 404 ? 'QUEUE_NOT_FOUND' : 'CONNECTION_FAILED',
          this.describe(error, config),
        );
      });
      const { channel } = session;
      const inbox = new Inbox<ConsumeMessage>();
      channel.on('close', () =>
        inbox.fail(new ConnectorRequestError('CONNECTION_FAILED', 'The broker closed the channel')),
      );
      const batchSize = Math.min(config.prefetch, config.maxMessages);
      await channel.prefetch(batchSize);
      await channel.consume(
        config.queue,
        (message) => {
          if (message) inbox.push(message);
          else
            inbox.fail(
              new ConnectorRequestError('QUEUE_NOT_FOUND', `Queue "${config.queue}" was deleted during the sync`),
            );
        },
        { noAck: false },
      );
      const deadline = started + config.waitTimeoutMs;
      let taken = 0;
      while (taken < config.maxMessages) {
        const want = Math.min(batchSize, config.maxMessages - taken);
        const { messages, end } = await inbox.take(want, { deadline, idleMs: config.idleMs, signal: ctx.signal });
        if (messages.length > 0) {
          taken += messages.length;
          yield messages.map((message) => toItem(message, config.queue));
          // Resumed: the batch is stored. Deliveries on a channel are in tag order, so one
          // multiple-ack covers this batch and nothing received after it.
          channel.ack(messages[messages.length - 1], true);
        }
        if (end !== 'full') break;
      }
      if (taken === config.maxMessages) {
        ctx.logger.log(
          `Queue "${config.queue}": took maxMessages (${config.maxMessages}); the rest waits for the next sync`,
        );
      }
    } finally {
      // Closing the channel hands every unacknowledged delivery back to the queue.
      await session.close();
    }
  }

  private async connect(config: AmqpConfig, address: string, timeoutMs: number): Promise<Session> {
    const connection = await amqp.connect(
      {
        protocol: config.tls ? 'amqps' : 'amqp',
        hostname: address,
        port: config.port,
        vhost: config.vhost,
        username: config.username,
        password: config.password,
        heartbeat: 30,
      },
      // The socket goes to the judged address; TLS still checks the certificate against the name.
      { timeout: timeoutMs, ...(config.tls && address !== config.host ? { servername: config.host } : {}) },
    );
    connection.on('error', noop);
    let channel: Channel;
    try {
      channel = await connection.createChannel();
    } catch (error) {
      await connection.close().catch(noop);
      throw error;
    }
    channel.on('error', noop);
    let closed: Promise<void> | undefined;
    return {
      connection,
      channel,
      close: () =>
        (closed ??= (async () => {
          await channel.close().catch(noop);
          await connection.close().catch(noop);
        })()),
    };
  }

  private async checkQueue(session: Session, config: AmqpConfig) {
    // A passive declare: answers the queue's depth, or 404 without creating anything.
    return session.channel.checkQueue(config.queue);
  }

  /** A message naming the cause (credentials, vhost, queue, network), never a secret. */
  private describe(error: unknown, config: AmqpConfig): string {
    const target = `${config.host}:${config.port}`;
    if (error instanceof ConnectorRequestError) return error.message;
    const transport = describeTransportError(error, target);
    if (transport) return transport;
    const message = errorMessage(error);
    if (replyCode(error) === 404 || /NOT[-_]FOUND/.test(message)) {
      return `Queue "${config.queue}" does not exist in virtual host "${config.vhost}"`;
    }
    if (/ACCESS[-_]REFUSED/.test(message) && /Handshake|Login/.test(message)) {
      return `The broker refused the username or password (ACCESS_REFUSED)`;
    }
    if (/ACCESS[-_]REFUSED/.test(message)) {
      return `The user may not read queue "${config.queue}" in virtual host "${config.vhost}" (ACCESS_REFUSED)`;
    }
    if (/ConnectionOpenOk/.test(message) || /NOT[-_]ALLOWED/.test(message)) {
      return `The broker refused virtual host "${config.vhost}": it does not exist or the user may not use it`;
    }
    if (/ETIMEDOUT/.test(message)) return `Timed out connecting to ${target}: check the host, port and firewall.`;
    return redact(`Could not reach the broker at ${target}: ${message}`, [config.password, config.username]);
  }
}
