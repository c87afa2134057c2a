import { ConnectorRequestError } from '../../plugin/connector-errors';
import { DeadlineError } from '../sql-common/deadline';
import { describeTransportError, errorCode, errorMessage, redact } from '../sql-common/connection-errors';
import { MysqlConfig } from './mysql-connections';

interface MysqlDriverError {
  code?: string;
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
  fatal?: boolean;
}

// MariaDB's max_statement_time, MySQL's max_execution_time, and a KILL QUERY.
const TIMEOUT_ERRNOS = new Set([1969, 3024, 1317]);

function details(error: unknown): MysqlDriverError {
  return (error && typeof error === 'object' ? error : {}) as MysqlDriverError;
}

/** A message for a failed connection that names what to fix and never carries the password. */
export function describeMysqlConnectError(error: unknown, config: MysqlConfig): string {
  const target = `${config.host}:${config.port}`;
  const code = errorCode(error);
  if (code === 'ETIMEDOUT' && !(error instanceof DeadlineError)) {
    return `Timed out connecting to ${target}: check the host, port and firewall.`;
  }
  const transport = describeTransportError(error, target);
  if (transport) return transport;
  switch (code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return `Authentication failed for user "${config.user}": check the user name and password.`;
    case 'ER_DBACCESS_DENIED_ERROR':
      return `User "${config.user}" may not use database "${config.database}".`;
    case 'ER_BAD_DB_ERROR':
      return `Database "${config.database}" does not exist on ${target}.`;
    case 'ER_HOST_NOT_PRIVILEGED':
      return `${target} does not accept connections from this server for user "${config.user}".`;
    case 'ER_CON_COUNT_ERROR':
      return `${target} has too many connections; try again later.`;
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return `${target} does not accept SSL connections: set config.ssl.mode to disable if the network is trusted (a database on this machine, for example).`;
  }
  const message = details(error).sqlMessage ?? errorMessage(error);
  return redact(`Could not connect to ${target}: ${message}`, [config.password]);
}

/** Maps what a query run raised to the error the caller may show: the server's words, nothing of ours. */
export function mysqlQueryError(error: unknown, timeoutMs: number, config: MysqlConfig): ConnectorRequestError {
  if (error instanceof ConnectorRequestError) return error;
  const timeout = () =>
    new ConnectorRequestError('SQL_TIMEOUT', `Query exceeded the statement timeout of ${timeoutMs} ms`);
  if (error instanceof DeadlineError) {
    return error.reason === 'timeout'
      ? timeout()
      : new ConnectorRequestError('QUERY_CANCELLED', 'The query was cancelled');
  }
  const { errno, sqlMessage, fatal } = details(error);
  if (errno !== undefined && TIMEOUT_ERRNOS.has(errno)) return timeout();
  if (sqlMessage !== undefined && !fatal) {
    return new ConnectorRequestError('SQL_ERROR', redact(sqlMessage, [config.password]));
  }
  return new ConnectorRequestError('CONNECTION_FAILED', describeMysqlConnectError(error, config));
}
