import { FieldProblem } from '@sluice/core';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import type { JsonSchema } from '../../plugin/connector-plugin';
import {
  integerIn,
  parsePollSettings,
  pollSchemaProperties,
  type PollSettings,
} from '../message-queue/message-batches';

/** Configuration of a RabbitMQ (AMQP 0-9-1) connector, as parseConfig returns it. */
export interface AmqpConfig extends PollSettings {
  host: string;
  port: number;
  vhost: string;
  tls: boolean;
  queue: string;
  /** Unacknowledged messages the broker may push at once; also the size of each stored batch. */
  prefetch: number;
  username: string;
  password: string;
}

export const AMQP_PORT = 5672;
export const AMQPS_PORT = 5671;
export const DEFAULT_PREFETCH = 100;
export const MAX_PREFETCH = 10_000;

export const AMQP_DESTINATION_FIELDS = ['url', 'host', 'port', 'vhost', 'tls'];

export const AMQP_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'RabbitMQ queue',
  additionalProperties: false,
  required: ['queue'],
  properties: {
    url: {
      type: 'string',
      title: 'URL',
      description:
        'amqp://host[:port][/vhost] or amqps://…, instead of host, port, vhost and tls. Credentials go in ' +
        'authConfig, never in the URL.',
      maxLength: 2048,
      examples: ['amqps://rabbit.example.com/orders'],
    },
    host: {
      type: 'string',
      title: 'Host',
      description: 'Host name or IP address of the broker, without scheme or port.',
      minLength: 1,
      maxLength: 253,
      examples: ['rabbit.example.com'],
    },
    port: { type: 'integer', title: 'Port', minimum: 1, maximum: 65535, examples: [AMQP_PORT] },
    // No schema defaults here: a default filled in would clash with a url given instead.
    vhost: {
      type: 'string',
      title: 'Virtual host',
      description: '"/" when left out.',
      maxLength: 255,
      examples: ['/'],
    },
    tls: {
      type: 'boolean',
      title: 'TLS',
      description: 'Connect with TLS (amqps, port 5671 by default); off when left out.',
      examples: [false],
    },
    queue: {
      type: 'string',
      title: 'Queue',
      description: 'The queue to take messages from; it must exist (it is never declared).',
      minLength: 1,
      maxLength: 255,
      examples: ['orders'],
    },
    prefetch: {
      type: 'integer',
      title: 'Prefetch',
      description: 'Unacknowledged messages the broker may push at once; also how many are stored per batch.',
      minimum: 1,
      maximum: MAX_PREFETCH,
      default: DEFAULT_PREFETCH,
      examples: [DEFAULT_PREFETCH],
    },
    ...pollSchemaProperties(),
  },
};

export const AMQP_AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Credentials',
  additionalProperties: false,
  required: ['username'],
  properties: {
    username: { type: 'string', title: 'Username', minLength: 1, maxLength: 255, writeOnly: true },
    password: {
      type: 'string',
      title: 'Password',
      description: 'Stored encrypted and never shown again.',
      maxLength: 1024,
      default: '',
      writeOnly: true,
    },
  },
};

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

interface Destination {
  host: string;
  port?: number;
  vhost: string;
  tls: boolean;
}

function fromUrl(raw: string, problems: FieldProblem[]): Destination | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push({ field: 'config.url', messages: ['must be a URL such as amqp://rabbit.example.com/vhost'] });
    return null;
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
    problems.push({ field: 'config.url', messages: ['must start with amqp:// or amqps://'] });
    return null;
  }
  if (url.username || url.password) {
    problems.push({ field: 'config.url', messages: ['must not hold credentials: send them in authConfig'] });
    return null;
  }
  if (url.search || url.hash) {
    problems.push({ field: 'config.url', messages: ['must not carry a query or fragment'] });
    return null;
  }
  const path = url.pathname.replace(/^\//, '');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    ...(url.port ? { port: Number(url.port) } : {}),
    vhost: path ? decodeURIComponent(path) : '/',
    tls: url.protocol === 'amqps:',
  };
}

/** Schema-valid config and auth into an AmqpConfig; cross-field problems are named by field. */
export function parseAmqpConfig(config: Record<string, unknown>, auth: Record<string, unknown>): AmqpConfig {
  const problems: FieldProblem[] = [];
  let destination: Destination | null = null;
  const url = text(config.url);
  if (url) {
    const mixed = ['host', 'port', 'vhost', 'tls'].filter((field) => config[field] !== undefined);
    if (mixed.length) {
      problems.push({ field: 'config.url', messages: [`give either url or ${mixed.join(', ')}, not both`] });
    } else destination = fromUrl(url, problems);
  } else {
    const tls = config.tls === true;
    destination = {
      host: text(config.host).trim(),
      ...(config.port !== undefined ? { port: Number(config.port) } : {}),
      vhost: text(config.vhost) || '/',
      tls,
    };
    if (!destination.host) problems.push({ field: 'config.host', messages: ['give host (or url)'] });
  }
  if (destination?.host && (/[\s/@?#]/.test(destination.host) || destination.host.includes('://'))) {
    problems.push({
      field: 'config.host',
      messages: ['give the host name or IP address only, without scheme, path or credentials'],
    });
  }
  const queue = text(config.queue);
  if (!queue) problems.push({ field: 'config.queue', messages: ['queue is required'] });
  const username = text(auth.username);
  if (!username) problems.push({ field: 'authConfig.username', messages: ['username is required'] });
  const prefetch = integerIn(config.prefetch, DEFAULT_PREFETCH, 1, MAX_PREFETCH, 'prefetch', problems);
  const poll = parsePollSettings(config, problems);
  if (problems.length || !destination) throw new ConnectorConfigError(problems);
  return {
    host: destination.host,
    port: destination.port ?? (destination.tls ? AMQPS_PORT : AMQP_PORT),
    vhost: destination.vhost,
    tls: destination.tls,
    queue,
    prefetch,
    ...poll,
    username,
    password: text(auth.password),
  };
}
