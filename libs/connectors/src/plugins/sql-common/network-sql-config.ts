import { FieldProblem } from '@sluice/core';
import { BlockList, isIP } from 'node:net';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import { JsonSchema } from '../../plugin/connector-plugin';

export const SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface SslSettings {
  mode: SslMode;
  /** PEM bundle trusted in verify-full mode, for servers signed by a private CA. */
  ca?: string;
}

/** The part every SQL server reached over TCP shares. */
export interface NetworkSqlConfig {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: SslSettings;
}

export const DEFAULT_SSL: SslSettings = { mode: 'require' };

/**
 * Where a network database's password is sent: changing any of these on update requires the
 * password again. A connection string is split into these same fields, so it is covered too.
 */
export const NETWORK_DESTINATION_FIELDS = ['host', 'port', 'user', 'database', 'ssl.mode', 'ssl.ca'];

export interface NetworkSchemaOptions {
  product: string;
  defaultPort: number;
  hostExample: string;
  databaseExample: string;
  userExample: string;
  extraProperties?: Record<string, JsonSchema>;
}

export function sslSchema(): JsonSchema {
  return {
    type: 'object',
    title: 'TLS',
    additionalProperties: false,
    required: ['mode'],
    default: DEFAULT_SSL,
    properties: {
      mode: {
        type: 'string',
        title: 'SSL mode',
        enum: [...SSL_MODES],
        default: DEFAULT_SSL.mode,
        description:
          'disable: plain TCP, only for trusted networks. require: encrypted, the certificate is not checked. ' +
          'verify-full: encrypted, the certificate must chain to a trusted CA and name the host.',
      },
      ca: {
        type: 'string',
        title: 'CA certificate',
        description: 'PEM-encoded CA certificate(s) for verify-full when the server uses a private CA.',
        maxLength: 65536,
        examples: ['-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----'],
      },
    },
  };
}

/** JSON Schema of `config` for a server reached by host and port. */
export function networkConfigSchema(options: NetworkSchemaOptions): JsonSchema {
  return {
    type: 'object',
    title: `${options.product} connection`,
    additionalProperties: false,
    required: ['host', 'database', 'user'],
    properties: {
      host: {
        type: 'string',
        title: 'Host',
        description: 'Host name or IP address of the server, without scheme or port.',
        minLength: 1,
        maxLength: 253,
        examples: [options.hostExample],
      },
      port: {
        type: 'integer',
        title: 'Port',
        minimum: 1,
        maximum: 65535,
        default: options.defaultPort,
        examples: [options.defaultPort],
      },
      database: {
        type: 'string',
        title: 'Database',
        minLength: 1,
        maxLength: 128,
        examples: [options.databaseExample],
      },
      user: {
        type: 'string',
        title: 'User',
        description: 'A user with read access; grant it only what queries should see.',
        minLength: 1,
        maxLength: 128,
        examples: [options.userExample],
      },
      ssl: sslSchema(),
      ...options.extraProperties,
    },
  };
}

/** JSON Schema of `authConfig` for password authentication. */
export const PASSWORD_AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  title: 'Credentials',
  additionalProperties: false,
  properties: {
    password: {
      type: 'string',
      title: 'Password',
      description: 'Stored encrypted and never shown again; leave empty for servers that trust the client.',
      maxLength: 1024,
      default: '',
      writeOnly: true,
    },
  },
};

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/**
 * Turns schema-valid `config` and `authConfig` into a typed configuration, filling defaults and
 * checking what a JSON Schema cannot: field combinations and the shape of the host.
 */
export function parseNetworkConfig(
  config: Record<string, unknown>,
  auth: Record<string, unknown>,
  defaultPort: number,
): NetworkSqlConfig {
  const problems: FieldProblem[] = [];
  const host = text(config.host).trim();
  if (!host) problems.push({ field: 'config.host', messages: ['host is required'] });
  else if (/[\s/@?#]/.test(host) || host.includes('://')) {
    problems.push({
      field: 'config.host',
      messages: ['give the host name or IP address only, without scheme, path or credentials'],
    });
  }
  const port = config.port === undefined || config.port === null ? defaultPort : Number(config.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push({ field: 'config.port', messages: ['port must be a whole number from 1 to 65535'] });
  }
  const database = text(config.database);
  if (!database) problems.push({ field: 'config.database', messages: ['database is required'] });
  const user = text(config.user);
  if (!user) problems.push({ field: 'config.user', messages: ['user is required'] });

  const rawSsl = (config.ssl ?? DEFAULT_SSL) as Partial<SslSettings>;
  const mode = (rawSsl.mode ?? DEFAULT_SSL.mode) as SslMode;
  if (!SSL_MODES.includes(mode)) {
    problems.push({ field: 'config.ssl.mode', messages: [`ssl mode must be one of ${SSL_MODES.join(', ')}`] });
  }
  const ssl: SslSettings = { mode };
  if (rawSsl.ca !== undefined && rawSsl.ca !== '') {
    if (mode !== 'verify-full') {
      problems.push({ field: 'config.ssl.ca', messages: ['a CA certificate is only used with ssl mode verify-full'] });
    } else if (!text(rawSsl.ca).includes('-----BEGIN CERTIFICATE-----')) {
      problems.push({
        field: 'config.ssl.ca',
        messages: ['the CA certificate must be PEM text (-----BEGIN CERTIFICATE-----)'],
      });
    } else {
      ssl.ca = text(rawSsl.ca);
    }
  }
  if (problems.length) throw new ConnectorConfigError(problems);
  return { host, port, database, user, password: text(auth.password), ssl };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export function isLoopback(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Plain TCP is worth a remark once traffic leaves the machine: it carries the password and every row. */
export function sslWarning(ssl: SslSettings, address: string): string | undefined {
  if (ssl.mode !== 'disable' || isLoopback(address)) return undefined;
  return 'SSL is disabled (config.ssl.mode is disable): credentials and query results cross the network unencrypted.';
}

/** SNI must not carry an IP address (RFC 6066), so a literal host gets no server name. */
export function serverName(host: string): string | undefined {
  return isIP(host) === 0 ? host : undefined;
}
