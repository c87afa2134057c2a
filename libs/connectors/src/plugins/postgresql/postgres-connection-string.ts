import { connectionStringToConfig, ParsedConnectionString } from '../sql-common/connection-string';
import { SslSettings } from '../sql-common/network-sql-config';

/**
 * The connection-string form of a PostgreSQL connector (`postgresql://user:pass@host:5432/db`,
 * optionally `?sslmode=require&schema=public,sales`) as `config` and `authConfig`.
 */
export function parsePostgresConnectionString(url: string, ssl?: Partial<SslSettings>): ParsedConnectionString {
  return connectionStringToConfig('postgresql', url, ssl);
}

/** The same for Amazon Redshift, whose default port is 5439. */
export function parseRedshiftConnectionString(url: string, ssl?: Partial<SslSettings>): ParsedConnectionString {
  return connectionStringToConfig('redshift', url, ssl);
}
