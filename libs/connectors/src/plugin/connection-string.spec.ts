import { ConnectorConfigError } from './connector-errors';
import { connectionStringToConfig } from './connection-string';

describe('connectionStringToConfig', () => {
  it('splits a PostgreSQL URL into config and a secret password', () => {
    expect(
      connectionStringToConfig('postgresql', 'postgresql://reader:s%40cret@db.example.com:6543/sales?sslmode=require'),
    ).toEqual({
      config: { host: 'db.example.com', port: 6543, database: 'sales', user: 'reader', ssl: { mode: 'require' } },
      authConfig: { password: 's@cret' },
    });
  });

  it('takes ssl from the request over the URL and accepts mysql and mariadb schemes', () => {
    expect(
      connectionStringToConfig('postgresql', 'postgres://u@h/d?sslmode=require', { mode: 'disable' }).config.ssl,
    ).toEqual({ mode: 'disable' });
    expect(connectionStringToConfig('mysql', 'mariadb://root@127.0.0.1:3306/shop').config).toEqual({
      host: '127.0.0.1',
      port: 3306,
      database: 'shop',
      user: 'root',
    });
  });

  it.each([
    ['sqlite', 'sqlite:///x.db', /accepted for/],
    ['postgresql', 'not a url', /must be a URL/],
    ['postgresql', 'mysql://u@h/d', /must start with postgresql:\/\//],
    ['postgresql', 'postgresql://u@h/d?sslmode=prefer', /sslmode must be one of/],
  ])('refuses %s %s', (type, url, message) => {
    let error: unknown;
    try {
      connectionStringToConfig(type, url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectorConfigError);
    expect((error as ConnectorConfigError).details).toEqual([
      { field: 'connection', messages: [expect.stringMatching(message)] },
    ]);
  });
});
