import { FieldProblem } from '@sluice/core';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import type { JsonSchema } from '../../plugin/connector-plugin';
import {
  integerIn,
  parsePollSettings,
  pollSchemaProperties,
  type PollSettings,
} from '../message-queue/message-batches';

export interface NatsServer {
  host: string;
  port: number;
}

/** Configuration of a NATS JetStream connector, as parseConfig returns it. */
export interface NatsConfig extends PollSettings {
  servers: NatsServer[];
  stream: string;
  /** Durable pull consumer the sync reads through; created (explicit acks) when missing. */
  consumer: string;
  /** Subject filter of a consumer the sync creates. */
  subject: string | null;
  /** Messages pulled and stored per batch. */
  batchSize: number;
  /** Ack wait of a consumer the sync creates: how soon a message not acknowledged is handed out again. */
  ackWaitMs: number;
  token: string;
  username: string;
  password: string;
}

export const NATS_PORT = 4222;
export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_ACK_WAIT_MS = 30_000;

export const NATS_DESTINATION_FIELDS = ['servers'];

// JetStream names: no whitespace, dots, wildcards or path separators.
const NAME = '^[^\\s.*>/\\\\]+$';

export const NATS_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'NATS JetStream stream',
  additionalProperties: false,
  required: ['servers', 'stream', 'consumer'],
  properties: {
    servers: {
      type: 'array',
      title: 'Servers',
      description: 'host:port of one or more servers of the cluster (port 4222 when left out).',
      minItems: 1,
      maxItems: 10,
      items: { type: 'string', minLength: 1, maxLength: 260 },
      examples: [['nats.example.com:4222']],
    },
    stream: { type: 'string', title: 'Stream', minLength: 1, maxLength: 255, pattern: NAME, examples: ['ORDERS'] },
    consumer: {
      type: 'string',
      title: 'Durable consumer',
      description:
        'Durable pull consumer to read through. Created with explicit acknowledgements when missing; an existing ' +
        'one must use explicit acknowledgements.',
      minLength: 1,
      maxLength: 255,
      pattern: NAME,
      examples: ['sluice'],
    },
    subject: {
      type: 'string',
      title: 'Subject filter',
      description: 'Only messages on these subjects, for a consumer the sync creates (wildcards allowed).',
      minLength: 1,
      maxLength: 255,
      examples: ['orders.>'],
    },
    batchSize: {
      type: 'integer',
      title: 'Batch size',
      description: 'Messages pulled, stored and acknowledged together.',
      minimum: 1,
      maximum: 10_000,
      default: DEFAULT_BATCH_SIZE,
      examples: [DEFAULT_BATCH_SIZE],
    },
    ackWaitMs: {
      type: 'integer',
      title: 'Ack wait (ms)',
      description: 'For a consumer the sync creates: messages not acknowledged within this time are redelivered.',
      minimum: 1_000,
      maximum: 3_600_000,
      default: DEFAULT_ACK_WAIT_MS,
      examples: [DEFAULT_ACK_WAIT_MS],
    },
    ...pollSchemaProperties(),
  },
};

export const NATS_AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Credentials',
  additionalProperties: false,
  properties: {
    token: { type: 'string', title: 'Token', maxLength: 1024, writeOnly: true },
    username: { type: 'string', title: 'Username', maxLength: 255, writeOnly: true },
    password: { type: 'string', title: 'Password', maxLength: 1024, writeOnly: true },
  },
};

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function parseServer(raw: string, index: number, problems: FieldProblem[]): NatsServer | null {
  const field = `config.servers.${index}`;
  const match = /^(?:nats:\/\/)?(\[[^\]]+\]|[^:/\s@?#[\]]+)(?::(\d{1,5}))?$/.exec(raw.trim());
  const port = match?.[2] === undefined ? NATS_PORT : Number(match[2]);
  if (!match || port < 1 || port > 65535) {
    problems.push({ field, messages: ['must be host:port, e.g. nats.example.com:4222, without credentials'] });
    return null;
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** Schema-valid config and auth into a NatsConfig; cross-field problems are named by field. */
export function parseNatsConfig(config: Record<string, unknown>, auth: Record<string, unknown>): NatsConfig {
  const problems: FieldProblem[] = [];
  const rawServers = Array.isArray(config.servers)
    ? config.servers
    : typeof config.servers === 'string'
      ? [config.servers]
      : [];
  if (!rawServers.length) problems.push({ field: 'config.servers', messages: ['give at least one host:port'] });
  const servers = rawServers
    .map((raw, index) => parseServer(text(raw), index, problems))
    .filter((server): server is NatsServer => server !== null);
  const stream = text(config.stream);
  if (!stream) problems.push({ field: 'config.stream', messages: ['stream is required'] });
  const consumer = text(config.consumer);
  if (!consumer) problems.push({ field: 'config.consumer', messages: ['consumer is required'] });
  const batchSize = integerIn(config.batchSize, DEFAULT_BATCH_SIZE, 1, 10_000, 'batchSize', problems);
  const ackWaitMs = integerIn(config.ackWaitMs, DEFAULT_ACK_WAIT_MS, 1_000, 3_600_000, 'ackWaitMs', problems);
  const poll = parsePollSettings(config, problems);
  const token = text(auth.token);
  const username = text(auth.username);
  const password = text(auth.password);
  if (token && (username || password)) {
    problems.push({ field: 'authConfig.token', messages: ['give either a token or a username and password'] });
  }
  if (password && !username) {
    problems.push({ field: 'authConfig.username', messages: ['a password needs a username'] });
  }
  if (problems.length) throw new ConnectorConfigError(problems);
  return {
    servers,
    stream,
    consumer,
    subject: text(config.subject) || null,
    batchSize,
    ackWaitMs,
    ...poll,
    token,
    username,
    password,
  };
}
