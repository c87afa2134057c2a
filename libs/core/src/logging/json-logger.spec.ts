import { Logger } from '@nestjs/common';
import { createPino, JsonLogger, redactSecrets, scrubText } from './json-logger';

/** A pino destination that keeps what was written, one entry per write. */
function memoryDestination(): { write(chunk: string): void; lines: string[]; records(): Record<string, any>[] } {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      lines.push(chunk);
    },
    records() {
      return lines.map((line) => JSON.parse(line) as Record<string, any>);
    },
  };
}

describe('scrubText', () => {
  it.each([
    ['a PostgreSQL URL', 'connect to postgresql://user:s3cret@host/db failed', 's3cret'],
    ['a URL with a port', 'pool error postgres://app:p4ssw0rd@10.0.0.5:5432/sluice', 'p4ssw0rd'],
    ['a Redis URL', 'redis://default:redis-pw-123@cache:6379 refused', 'redis-pw-123'],
    ['an HTTPS URL with credentials', 'GET https://bob:hunter2@api.example.com/data', 'hunter2'],
    [
      'a bearer token',
      'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3IifQ.c2lnbmF0dXJl',
      'eyJhbGciOiJIUzI1NiJ9',
    ],
    ['a bearer token in lower case', 'authorization: bearer abc123def456ghi789', 'abc123def456ghi789'],
    ['an API key', 'key sk_4f9a2c1e0b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f rejected', '4f9a2c1e0b7d6e5f4a3b'],
    ['password= in a query string', 'GET /login?user=ann&password=hunter2&next=/', 'hunter2'],
    ['pwd= in a connection string', 'Server=db;Uid=sa;pwd=Sup3rS3cret;', 'Sup3rS3cret'],
    ['token= in a query string', 'webhook /hooks/x?token=tok_abcdef123456', 'tok_abcdef123456'],
    ['upper-case PASSWORD=', 'PASSWORD=letmein123 rejected', 'letmein123'],
    ['access_token= in a query string', 'GET /callback?access_token=ya29.a0AfH6SMB&state=1', 'ya29.a0AfH6SMB'],
    ['client_secret= in a form body', 'grant_type=client_credentials&client_secret=cs-998877', 'cs-998877'],
  ])('removes the secret from %s', (_label, text, secret) => {
    const scrubbed = scrubText(text);
    expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain('[REDACTED]');
  });

  it('scrubs long hostile text in linear time', () => {
    for (const text of ['a.'.repeat(100_000), 'x://y:'.repeat(20_000), 'Bearer '.repeat(20_000)]) {
      const started = performance.now();
      scrubText(text);
      expect(performance.now() - started).toBeLessThan(300);
    }
  });

  it('keeps the parts of a URL that help debugging', () => {
    expect(scrubText('postgresql://user:s3cret@host:5432/db')).toBe('postgresql://user:[REDACTED]@host:5432/db');
  });

  it('keeps the name of the parameter it scrubbed', () => {
    expect(scrubText('/login?user=ann&password=hunter2&next=/')).toBe('/login?user=ann&password=[REDACTED]&next=/');
  });

  it.each([
    ['plain prose', 'Sync of connector conn_4k2x9q0m1v7b3n8c finished: 42 documents'],
    ['a URL without credentials', 'fetching https://api.example.com/v1/items?page=2'],
    ['a URL with only a user', 'connect postgresql://sluice@db:5432/sluice'],
    ['a time of day', 'started at 12:30:45 on 2026-01-01'],
    ['an e-mail address', 'invited ann@example.com'],
    ['words that merely mention secrets', 'password reset requested; token expired'],
    ['the empty string', ''],
  ])('leaves %s alone', (_label, text) => {
    expect(scrubText(text)).toBe(text);
  });
});

describe('createPino', () => {
  it('writes one JSON object per line with a readable level and the service name', () => {
    const out = memoryDestination();
    createPino('info', out).info({ connectorId: 'conn_1' }, 'sync started');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0].trimEnd()).not.toContain('\n');
    expect(out.records()[0]).toMatchObject({
      level: 'info',
      service: 'sluice',
      connectorId: 'conn_1',
      msg: 'sync started',
    });
    expect(typeof out.records()[0].time).toBe('string');
  });

  it('drops lines below its level', () => {
    const out = memoryDestination();
    const log = createPino('warn', out);
    log.info('not shown');
    log.debug('not shown either');
    log.warn('shown');
    expect(out.records().map((r) => r.msg)).toEqual(['shown']);
  });

  it.each([
    ['password', { password: 'hunter2' }],
    ['authConfig', { authConfig: { user: 'app', password: 'hunter2' } }],
    ['token', { token: 'hunter2' }],
    ['accessToken', { accessToken: 'hunter2' }],
    ['apiKey', { apiKey: 'hunter2' }],
    ['connectionString', { connectionString: 'postgresql://a:hunter2@db/x' }],
    ['nested one level', { connector: { authConfig: 'hunter2' } }],
    ['nested one level, password', { user: { email: 'a@b.c', password: 'hunter2' } }],
    ['nested two levels', { job: { data: { password: 'hunter2' } } }],
    ['nested two levels, token', { req: { body: { token: 'hunter2' } } }],
    ['an authorization header', { req: { headers: { authorization: 'Bearer hunter2' } } }],
    ['an x-api-key header', { req: { headers: { 'x-api-key': 'hunter2' } } }],
  ])('redacts %s', (_label, fields) => {
    const out = memoryDestination();
    createPino('info', out).info(fields, 'something happened');
    expect(out.lines[0]).not.toContain('hunter2');
    expect(out.lines[0]).toContain('[REDACTED]');
  });

  it('keeps the fields next to a redacted one', () => {
    const out = memoryDestination();
    createPino('info', out).info({ user: { email: 'ann@example.com', password: 'hunter2' } }, 'login');
    expect(out.records()[0].user).toEqual({ email: 'ann@example.com', password: '[REDACTED]' });
  });

  it('redacts in arrays, beside the logged fields, and leaves deeper or unlisted keys as they are', () => {
    const out = memoryDestination();
    const fields = {
      users: [{ email: 'a@b.c', password: 'hunter2' }],
      headers: { 'x-api-key': 'hunter2', accept: 'text/plain' },
      deep: { a: { b: { note: 'kept' } } },
      count: 3,
    };
    createPino('info', out).info(fields, 'x');
    expect(out.records()[0]).toMatchObject({
      users: [{ email: 'a@b.c', password: '[REDACTED]' }],
      headers: { 'x-api-key': '[REDACTED]', accept: 'text/plain' },
      deep: { a: { b: { note: 'kept' } } },
      count: 3,
    });
    expect(fields.users[0].password).toBe('hunter2');
    expect(fields.headers['x-api-key']).toBe('hunter2');
  });

  it('hands an object without secrets on as it is, without a copy', () => {
    const fields = { requestId: 'r1', route: '/api/v1/connectors', status: 200, nested: { tables: [1, 2] } };
    expect(redactSecrets(fields)).toBe(fields);
    const withSecret = { nested: { token: 't' }, other: { x: 1 } };
    const redacted = redactSecrets(withSecret);
    expect(redacted).toEqual({ nested: { token: '[REDACTED]' }, other: { x: 1 } });
    expect(redacted.other).toBe(withSecret.other);
  });

  it('does not change the object that was logged', () => {
    const fields = { user: { password: 'hunter2' } };
    createPino('info', memoryDestination()).info(fields, 'x');
    expect(fields.user.password).toBe('hunter2');
  });

  it('scrubs secrets from messages and from errors', () => {
    const out = memoryDestination();
    const log = createPino('info', out);
    log.warn('retrying postgresql://app:hunter2@db/sluice');
    log.error({ err: new Error('auth failed for password=hunter2') }, 'query failed');
    expect(out.lines.join('')).not.toContain('hunter2');
    expect(out.records()[1].err).toMatchObject({ type: 'Error', message: 'auth failed for password=[REDACTED]' });
  });
});

describe('JsonLogger', () => {
  function setup(level = 'trace') {
    const out = memoryDestination();
    return { out, logger: new JsonLogger(createPino(level, out)) };
  }

  it.each([
    ['log', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['debug', 'debug'],
    ['verbose', 'trace'],
    ['fatal', 'fatal'],
  ] as const)('%s writes a line at level %s with the context Nest passes last', (method, level) => {
    const { out, logger } = setup();
    logger[method]('API listening on http://localhost:3000', 'Startup');
    expect(out.lines).toHaveLength(1);
    expect(out.records()[0]).toMatchObject({
      level,
      msg: 'API listening on http://localhost:3000',
      context: 'Startup',
    });
  });

  it.each(['RouterExplorer', 'RoutesResolver', 'InstanceLoader'])(
    "writes Nest's start-up lines of %s at debug, not info",
    (context) => {
      const { out, logger } = setup();
      logger.log('Mapped {/api/v1/connectors, GET} route', context);
      expect(out.records()[0]).toMatchObject({ level: 'debug', context });
      const quiet = setup('info');
      quiet.logger.log('Mapped {/api/v1/connectors, GET} route', context);
      expect(quiet.out.lines).toEqual([]);
    },
  );

  it('writes without a context when none is given', () => {
    const { out, logger } = setup();
    logger.log('hello');
    const record = out.records()[0];
    expect(record.msg).toBe('hello');
    expect(record).not.toHaveProperty('context');
  });

  it('logs an Error with its message', () => {
    const { out, logger } = setup();
    logger.error(new Error('queue connector-sync stalled'), 'SyncProcessor');
    const record = out.records()[0];
    expect(record).toMatchObject({ level: 'error', msg: 'queue connector-sync stalled', context: 'SyncProcessor' });
    expect(record.err).toMatchObject({ type: 'Error', message: 'queue connector-sync stalled' });
  });

  it('keeps the stack Nest passes between the message and the context', () => {
    const { out, logger } = setup();
    logger.error('Unhandled rejection', 'Error: boom\n    at main.ts:10:5', 'Bootstrap');
    expect(out.records()[0]).toMatchObject({
      msg: 'Unhandled rejection',
      context: 'Bootstrap',
      stack: 'Error: boom\n    at main.ts:10:5',
    });
  });

  it('spreads an object message into fields and still redacts them', () => {
    const { out, logger } = setup();
    logger.log({ msg: 'connector created', connectorId: 'conn_1', authConfig: { password: 'hunter2' } }, 'Connectors');
    const record = out.records()[0];
    expect(record).toMatchObject({ msg: 'connector created', connectorId: 'conn_1', context: 'Connectors' });
    expect(out.lines[0]).not.toContain('hunter2');
  });

  it.each([
    ['a database URL', 'cannot reach postgresql://sluice:hunter2@db:5432/sluice'],
    ['a bearer token', 'upstream refused Bearer hunter2.hunter2.hunter2'],
    ['a password parameter', 'callback failed: /cb?password=hunter2'],
    ['an API key', 'revoked sk_hunter2hunter2hunter2'],
  ])('scrubs %s out of a message string', (_label, message) => {
    const { out, logger } = setup();
    logger.warn(message, 'Context');
    expect(out.lines[0]).not.toContain('hunter2');
    expect(out.records()[0].msg).toContain('[REDACTED]');
  });

  it('scrubs the message of a logged Error', () => {
    const { out, logger } = setup();
    logger.error(new Error('connect postgresql://sluice:hunter2@db/sluice refused'), 'Database');
    expect(out.lines.join('')).not.toContain('hunter2');
  });

  it('respects the level it was created with', () => {
    const { out, logger } = setup('warn');
    logger.log('chatty');
    logger.debug('chattier');
    logger.warn('important');
    expect(out.records().map((r) => r.msg)).toEqual(['important']);
  });

  describe("behind Nest's Logger", () => {
    afterEach(() => Logger.overrideLogger(false));

    it('receives the context of a named logger and scrubs what it is given', () => {
      const { out, logger } = setup();
      Logger.overrideLogger(logger);
      new Logger('Errors').error(
        { requestId: 'req_1', err: new Error('password=hunter2 rejected') },
        'Unhandled error',
      );
      const record = out.records()[0];
      expect(record).toMatchObject({ level: 'error', context: 'Errors', requestId: 'req_1', msg: 'Unhandled error' });
      expect(out.lines[0]).not.toContain('hunter2');
    });
  });
});
