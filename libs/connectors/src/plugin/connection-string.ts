import { ConnectorConfigError } from './connector-errors';

const SCHEMES: Record<string, string[]> = {
  postgresql: ['postgresql:', 'postgres:'],
  redshift: ['postgresql:', 'postgres:', 'redshift:'],
  mysql: ['mysql:', 'mariadb:'],
};
const SSL_MODES = new Set(['disable', 'require', 'verify-full']);

export interface SplitConnection {
  config: Record<string, unknown>;
  authConfig: Record<string, unknown>;
}

/**
 * `postgresql://user:pass@host:5432/db?sslmode=require` → `{ config, authConfig }` in the shape
 * of the network SQL types, so the connection-string form goes through the same validation.
 */
export function connectionStringToConfig(
  type: string,
  connection: string,
  ssl?: { mode?: string; ca?: string },
): SplitConnection {
  const fail = (message: string) => new ConnectorConfigError([{ field: 'connection', messages: [message] }]);
  const schemes = SCHEMES[type];
  if (!schemes) throw fail(`a connection string is accepted for ${Object.keys(SCHEMES).join(', ')} only`);
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw fail(`must be a URL such as ${schemes[0]}//user:password@host:port/database`);
  }
  if (!schemes.includes(url.protocol)) throw fail(`must start with ${schemes.map((s) => `${s}//`).join(' or ')}`);
  if (!url.hostname) throw fail('must name a host');
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const mode = ssl?.mode ?? url.searchParams.get('sslmode') ?? undefined;
  if (mode !== undefined && !SSL_MODES.has(mode)) throw fail(`sslmode must be one of ${[...SSL_MODES].join(', ')}`);

  const config: Record<string, unknown> = { host: url.hostname.replace(/^\[|\]$/g, '') };
  if (url.port) config.port = Number(url.port);
  if (database) config.database = database;
  if (url.username) config.user = decodeURIComponent(url.username);
  if (mode) config.ssl = { mode, ...(ssl?.ca ? { ca: ssl.ca } : {}) };
  const authConfig = url.password ? { password: decodeURIComponent(url.password) } : {};
  return { config, authConfig };
}
