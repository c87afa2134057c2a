import { ConnectorConfigError } from '../../plugin/connector-errors';
import { parseMysqlConnectionString } from '../mysql/mysql-connection-string';
import { parsePostgresConnectionString, parseRedshiftConnectionString } from '../postgresql/postgres-connection-string';

function failure(fn: () => unknown): ConnectorConfigError {
  try {
    fn();
  } catch (error) {
    return error as ConnectorConfigError;
  }
  throw new Error('expected a failure');
}

describe('connection strings', () => {
  it('splits a PostgreSQL URL into config and secret auth', () => {
    expect(
      parsePostgresConnectionString('postgresql://reader:p%40ss@db.example.com:6543/sales?sslmode=require'),
    ).toEqual({
      config: { host: 'db.example.com', port: 6543, database: 'sales', user: 'reader', ssl: { mode: 'require' } },
      authConfig: { password: 'p@ss' },
    });
  });

  it('fills default ports, reads schemas, and lets an explicit ssl win over the URL', () => {
    expect(parsePostgresConnectionString('postgres://u@h/d?schema=public,sales', { mode: 'disable' }).config).toEqual({
      host: 'h',
      port: 5432,
      database: 'd',
      user: 'u',
      ssl: { mode: 'disable' },
      schemas: ['public', 'sales'],
    });
    expect(parseRedshiftConnectionString('redshift://u:p@cluster.example.com/dev').config.port).toBe(5439);
    expect(parseMysqlConnectionString('mariadb://root:pw@[::1]/shop?ssl-mode=VERIFY_IDENTITY')).toEqual({
      config: { host: '::1', port: 3306, database: 'shop', user: 'root', ssl: { mode: 'verify-full' } },
      authConfig: { password: 'pw' },
    });
  });

  it('refuses malformed URLs on the connection field without repeating them', () => {
    const cases: Array<() => unknown> = [
      () => parsePostgresConnectionString('not a url with s3cret'),
      () => parsePostgresConnectionString('mysql://u:s3cret@h/d'),
      () => parsePostgresConnectionString('postgresql://u:s3cret@h/'),
      () => parsePostgresConnectionString('postgresql://:s3cret@h/d'),
      () => parsePostgresConnectionString('postgresql://u:s3cret@h/d?sslmode=prefer'),
      () => parseMysqlConnectionString('mysql://u:%zz@h/d'),
    ];
    for (const run of cases) {
      const error = failure(run);
      expect(error).toBeInstanceOf(ConnectorConfigError);
      expect(error.details).toEqual([{ field: 'connection', messages: [expect.any(String)] }]);
      expect(JSON.stringify(error.details)).not.toContain('s3cret');
    }
  });
});
