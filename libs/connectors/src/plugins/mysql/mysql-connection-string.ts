import { connectionStringToConfig, ParsedConnectionString } from '../sql-common/connection-string';
import { SslSettings } from '../sql-common/network-sql-config';

/**
 * The connection-string form of a MySQL or MariaDB connector (`mysql://user:pass@host:3306/db`,
 * also `mariadb://`, optionally `?ssl-mode=REQUIRED`) as `config` and `authConfig`.
 */
export function parseMysqlConnectionString(url: string, ssl?: Partial<SslSettings>): ParsedConnectionString {
  return connectionStringToConfig('mysql', url, ssl);
}
