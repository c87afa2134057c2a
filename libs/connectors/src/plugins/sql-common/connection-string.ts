import { connectionStringDialects, dialectSpec, isDialect, type DialectSpec, type SqlDialect } from '@sluice/core';
import { ConnectorConfigError } from '../../plugin/connector-errors';
import '../built-in-dialects';
import { SSL_MODES, SslMode, SslSettings } from './network-sql-config';

/** The dialect of a type that takes a connection string (its schemes and default port come from its spec). */
export type ConnectionStringType = SqlDialect;

export interface ParsedConnectionString {
  config: Record<string, unknown>;
  authConfig: { password: string };
}

// The spellings libpq (sslmode) and the MySQL clients (ssl-mode) use, for the modes we offer.
// "prefer" and "allow" silently fall back to plain TCP; that choice has to be made explicitly.
const SSL_ALIASES: Record<string, SslMode> = {
  disable: 'disable',
  disabled: 'disable',
  require: 'require',
  required: 'require',
  'verify-ca': 'verify-full',
  verify_ca: 'verify-full',
  'verify-full': 'verify-full',
  verify_identity: 'verify-full',
};

function problem(messages: string): ConnectorConfigError {
  return new ConnectorConfigError([{ field: 'connection', messages: [messages] }]);
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw problem(`the ${what} in the connection string is not valid percent-encoding`);
  }
}

function sslFromQuery(params: URLSearchParams): SslSettings | undefined {
  const raw = params.get('sslmode') ?? params.get('ssl-mode') ?? params.get('ssl_mode');
  if (raw !== null) {
    const mode = SSL_ALIASES[raw.trim().toLowerCase()];
    if (!mode) throw problem(`sslmode=${raw.slice(0, 20)} is not supported: use ${SSL_MODES.join(', ')}`);
    return { mode };
  }
  const flag = params.get('ssl');
  if (flag === 'true' || flag === '1') return { mode: 'require' };
  if (flag === 'false' || flag === '0') return { mode: 'disable' };
  return undefined;
}

/**
 * Splits a connection URL into the plugin's `config` and `authConfig`, so a pasted URL is stored
 * like a form entry: the password goes to the encrypted side. An explicit `ssl` wins over the
 * URL's sslmode. Error messages never repeat the URL, which carries the password.
 */
export function connectionStringToConfig(
  type: ConnectionStringType,
  connection: string,
  ssl?: Partial<SslSettings>,
): ParsedConnectionString {
  const spec: DialectSpec = dialectSpec(type);
  const schemes = spec.connectionSchemes;
  let url: URL;
  try {
    url = new URL(connection.trim());
  } catch {
    throw problem(`not a valid URL; expected ${schemes[0]}//user:password@host:port/database`);
  }
  if (!schemes.includes(url.protocol)) {
    throw problem(`the scheme must be ${schemes.map((s) => `${s}//`).join(' or ')}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw problem('the connection string has no host');
  const database = decode(url.pathname.replace(/^\//, ''), 'database');
  if (!database || database.includes('/')) throw problem('the connection string must name one database after the host');
  const user = decode(url.username, 'user');
  if (!user) throw problem('the connection string has no user');

  const config: Record<string, unknown> = {
    host,
    port: url.port ? Number(url.port) : spec.defaultPort,
    database,
    user,
  };
  const fromQuery = sslFromQuery(url.searchParams);
  if (ssl?.mode) config.ssl = { mode: ssl.mode, ...(ssl.ca ? { ca: ssl.ca } : {}) };
  else if (fromQuery) config.ssl = fromQuery;
  const schema = url.searchParams.get('schema');
  // MySQL has no schemas inside a database (a schema is a database there).
  if (schema && spec.family !== 'mysql') {
    config.schemas = schema
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return { config, authConfig: { password: decode(url.password, 'password') } };
}

/**
 * The `connection` field of a request (create, update, test-connection) as `config` and
 * `authConfig`; 400 on `connection` for a type that takes no connection string.
 */
export function settingsFromConnection(
  type: string,
  connection: string,
  ssl?: Partial<SslSettings>,
): ParsedConnectionString {
  // A SQL type is named after its dialect; those whose dialect has URL schemes take a connection string.
  if (!isDialect(type) || dialectSpec(type).connectionSchemes.length === 0) {
    throw problem(`a connection string is accepted for ${connectionStringDialects().join(', ')} only`);
  }
  // The mode is checked by the parser, which names the allowed values when it is wrong.
  return connectionStringToConfig(type, connection, ssl);
}
