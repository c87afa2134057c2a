import { DatabaseError } from 'pg';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import { DeadlineError } from '../sql-common/deadline';
import { describeTransportError, errorMessage, redact } from '../sql-common/connection-errors';
import { PostgresConfig } from './postgres-connections';

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A message for a failed connection that names what to fix and never carries the password. */
export function describePgConnectError(error: unknown, config: PostgresConfig, product: string): string {
  const target = `${config.host}:${config.port}`;
  const transport = describeTransportError(error, target);
  if (transport) return transport;
  const message = errorMessage(error);
  switch (sqlState(error)) {
    case '28P01':
      return `Authentication failed for user "${config.user}": check the user name and password.`;
    case '28000':
      return redact(`The server refused the login: ${message}`, [config.password]);
    case '3D000':
      return `Database "${config.database}" does not exist on ${target}.`;
    case '53300':
      return `${product} at ${target} has no free connection slots; try again later.`;
    case '57P03':
      return `${product} at ${target} is starting up or shutting down; try again later.`;
  }
  if (/does not support SSL/i.test(message)) {
    return `${target} does not accept SSL connections: set config.ssl.mode to disable if the network is trusted (a database on this machine, for example).`;
  }
  return redact(`Could not connect to ${product} at ${target}: ${message}`, [config.password]);
}

/** Maps what a query run raised to the error the caller may show: the server's words, nothing of ours. */
export function pgQueryError(error: unknown, timeoutMs: number, config: PostgresConfig): ConnectorRequestError {
  if (error instanceof ConnectorRequestError) return error;
  if (error instanceof DeadlineError) {
    return error.reason === 'timeout'
      ? new ConnectorRequestError('SQL_TIMEOUT', `Query exceeded the statement timeout of ${timeoutMs} ms`)
      : new ConnectorRequestError('QUERY_CANCELLED', 'The query was cancelled');
  }
  const state = sqlState(error);
  const message = errorMessage(error);
  if (state === '57014' && /statement timeout/i.test(message)) {
    return new ConnectorRequestError('SQL_TIMEOUT', `Query exceeded the statement timeout of ${timeoutMs} ms`);
  }
  if (state && !state.startsWith('08') && !state.startsWith('28')) {
    const hint = error instanceof DatabaseError && error.hint ? ` (hint: ${error.hint})` : '';
    return new ConnectorRequestError('SQL_ERROR', redact(`${message}${hint}`, [config.password]));
  }
  return new ConnectorRequestError('CONNECTION_FAILED', describePgConnectError(error, config, 'the server'));
}
