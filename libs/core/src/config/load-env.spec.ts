import { randomBytes } from 'node:crypto';
import { ConfigError, envForChild, loadEnv } from './load-env';

const JWT_SECRET = 'jwt-secret-that-is-long-enough-0123456789';
const HEX_KEY = randomBytes(32).toString('hex');
const BASE64_KEY = randomBytes(32).toString('base64');
const minimal = { JWT_SECRET, ENCRYPTION_KEY: HEX_KEY };

function configFailure(raw: Record<string, string | undefined>): ConfigError {
  try {
    loadEnv(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadEnv to throw a ConfigError');
}

// The variable a problem line is about: every line starts with `NAME:`.
const variableOf = (problem: string): string => problem.split(':')[0];

describe('loadEnv', () => {
  describe('with only the required secrets', () => {
    it('fills in the documented defaults', () => {
      const env = loadEnv(minimal);
      expect(env).toMatchObject({
        NODE_ENV: 'development',
        PORT: 3000,
        HOST: '0.0.0.0',
        LOG_LEVEL: 'info',
        DATABASE_NAME: 'sluice',
        DATABASE_POOL_SIZE: 10,
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: 'sluice:sluice',
        ENCRYPTION_KEY_ID: 'k1',
        JWT_ACCESS_TTL_SECONDS: 900,
        BODY_LIMIT: '1mb',
        TRUST_PROXY: false,
        HTTPS_ONLY: false,
        METRICS_ENABLED: true,
        WORKER_CONCURRENCY: 2,
        DASHBOARD_SESSION_TTL_SECONDS: 900,
      });
      expect(env.DATABASE_URL).toBeUndefined();
      // Unset means the operator tenant is BOOTSTRAP_TENANT (resolved where it is used).
      expect(env.DASHBOARD_TENANT).toBeUndefined();
      expect(env.ENCRYPTION_OLD_KEYS).toBeUndefined();
    });

    it('keeps the secrets it was given', () => {
      const env = loadEnv(minimal);
      expect(env.JWT_SECRET).toBe(JWT_SECRET);
      expect(env.ENCRYPTION_KEY).toBe(HEX_KEY);
    });

    it('ignores variables it does not know', () => {
      const env = loadEnv({ ...minimal, HOME: '/root', SOMETHING_ELSE: 'x' }) as unknown as Record<string, unknown>;
      expect(env.HOME).toBeUndefined();
      expect(env.SOMETHING_ELSE).toBeUndefined();
    });
  });

  describe('REDIS_KEY_PREFIX', () => {
    it('is derived from the database, so two installs on one Redis do not share queues', () => {
      const one = loadEnv({ ...minimal, DATABASE_URL: 'postgresql://u:p@db:5432/sales_eu' });
      const two = loadEnv({ ...minimal, DATABASE_URL: 'postgresql://u:p@db:5432/sales_us' });
      expect(one.REDIS_KEY_PREFIX).toBe('sluice:sales_eu');
      expect(two.REDIS_KEY_PREFIX).toBe('sluice:sales_us');
    });

    it('uses DATABASE_NAME without DATABASE_URL, and an empty value counts as unset', () => {
      expect(loadEnv({ ...minimal, DATABASE_NAME: 'staging' }).REDIS_KEY_PREFIX).toBe('sluice:staging');
      expect(loadEnv({ ...minimal, DATABASE_NAME: 'staging', REDIS_KEY_PREFIX: '' }).REDIS_KEY_PREFIX).toBe(
        'sluice:staging',
      );
    });

    it('turns characters a prefix may not hold into _, and takes the user name when the URL names no database', () => {
      expect(loadEnv({ ...minimal, DATABASE_URL: 'postgresql://u@db/my%20db%3Aone' }).REDIS_KEY_PREFIX).toBe(
        'sluice:my_db_one',
      );
      expect(loadEnv({ ...minimal, DATABASE_URL: 'postgresql://reporting@db:5432' }).REDIS_KEY_PREFIX).toBe(
        'sluice:reporting',
      );
    });

    it('keeps a prefix that is set, and the derived one survives the trip to a child process', () => {
      expect(loadEnv({ ...minimal, REDIS_KEY_PREFIX: 'acme' }).REDIS_KEY_PREFIX).toBe('acme');
      const parent = loadEnv({ ...minimal, DATABASE_URL: 'postgresql://u@db/sales' });
      // `sluice start` hands its resolved values to the API and the worker, which validate them again.
      expect(loadEnv(envForChild(parent)).REDIS_KEY_PREFIX).toBe('sluice:sales');
    });

    it.each(['a b', 'x::y', ':x', 'x:', 'x'.repeat(101)])('refuses %j', (prefix) => {
      expect(configFailure({ ...minimal, REDIS_KEY_PREFIX: prefix }).problems.map(variableOf)).toEqual([
        'REDIS_KEY_PREFIX',
      ]);
    });
  });

  describe('conversion of strings', () => {
    it.each([
      ['PORT', '8080', 8080],
      ['DATABASE_POOL_SIZE', '25', 25],
      ['WORKER_CONCURRENCY', '8', 8],
      ['JWT_ACCESS_TTL_SECONDS', '60', 60],
      ['DASHBOARD_SESSION_TTL_SECONDS', '300', 300],
      ['DASHBOARD_TENANT', 'Operators', 'Operators'],
      ['TRUST_PROXY', 'true', true],
      ['TRUST_PROXY', '1', true],
      ['TRUST_PROXY', 'YES', true],
      ['TRUST_PROXY', 'on', true],
      ['TRUST_PROXY', 'false', false],
      ['HTTPS_ONLY', 'true', true],
      ['HTTPS_ONLY', 'off', false],
      ['METRICS_ENABLED', 'false', false],
      ['METRICS_ENABLED', '0', false],
    ])('%s=%s becomes %p', (name, value, expected) => {
      expect(loadEnv({ ...minimal, [name]: value })[name as 'PORT']).toBe(expected);
    });

    it.each([
      ['PORT'],
      ['DATABASE_POOL_SIZE'],
      ['TRUST_PROXY'],
      ['HTTPS_ONLY'],
      ['METRICS_ENABLED'],
      ['DASHBOARD_TENANT'],
    ])('an empty %s falls back to its default', (name) => {
      const defaults = loadEnv(minimal);
      expect(loadEnv({ ...minimal, [name]: '' })[name as 'PORT']).toBe(defaults[name as 'PORT']);
    });
  });

  describe('secrets', () => {
    it.each([
      ['64 hex characters', HEX_KEY],
      ['base64 of 32 bytes', BASE64_KEY],
    ])('accepts an ENCRYPTION_KEY of %s', (_label, key) => {
      expect(loadEnv({ ...minimal, ENCRYPTION_KEY: key }).ENCRYPTION_KEY).toBe(key);
    });

    it.each([
      ['16 bytes in hex', randomBytes(16).toString('hex')],
      ['16 bytes in base64', randomBytes(16).toString('base64')],
      ['64 characters that are not hex', 'z'.repeat(64)],
      ['empty', ''],
    ])('refuses an ENCRYPTION_KEY of %s', (_label, key) => {
      const error = configFailure({ ...minimal, ENCRYPTION_KEY: key });
      expect(error.problems.map(variableOf)).toEqual(['ENCRYPTION_KEY']);
    });

    it('refuses a missing ENCRYPTION_KEY', () => {
      expect(configFailure({ JWT_SECRET }).problems.map(variableOf)).toEqual(['ENCRYPTION_KEY']);
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['31 characters', 'x'.repeat(31)],
    ])('refuses a JWT_SECRET that is %s', (_label, secret) => {
      const error = configFailure({ ENCRYPTION_KEY: HEX_KEY, JWT_SECRET: secret });
      expect(error.problems.map(variableOf)).toEqual(['JWT_SECRET']);
    });

    it('accepts a JWT_SECRET of exactly 32 characters', () => {
      expect(loadEnv({ ...minimal, JWT_SECRET: 'x'.repeat(32) }).JWT_SECRET).toHaveLength(32);
    });

    it.each([
      ['one hex key', `k0:${randomBytes(32).toString('hex')}`],
      ['two keys, hex and base64', `k0:${randomBytes(32).toString('hex')},old-2:${randomBytes(32).toString('base64')}`],
    ])('accepts ENCRYPTION_OLD_KEYS with %s', (_label, list) => {
      expect(loadEnv({ ...minimal, ENCRYPTION_OLD_KEYS: list }).ENCRYPTION_OLD_KEYS).toBe(list);
    });

    it.each([
      ['a key without id', randomBytes(32).toString('hex')],
      ['a short key', `k0:${randomBytes(16).toString('hex')}`],
      ['a trailing comma', `k0:${randomBytes(32).toString('hex')},`],
      ['a space after the comma', `k0:${HEX_KEY}, k1:${HEX_KEY}`],
      ['an id with a dot', `k.0:${HEX_KEY}`],
    ])('refuses ENCRYPTION_OLD_KEYS with %s', (_label, list) => {
      const error = configFailure({ ...minimal, ENCRYPTION_OLD_KEYS: list });
      expect(error.problems.map(variableOf)).toEqual(['ENCRYPTION_OLD_KEYS']);
    });

    it('treats an empty ENCRYPTION_OLD_KEYS as none', () => {
      expect(loadEnv({ ...minimal, ENCRYPTION_OLD_KEYS: '' }).ENCRYPTION_OLD_KEYS).toBeUndefined();
    });
  });

  describe('DATABASE_URL', () => {
    it.each([['postgresql://sluice:pw@db.internal:5432/sluice'], ['postgres://localhost/app']])('accepts %s', (url) => {
      expect(loadEnv({ ...minimal, DATABASE_URL: url }).DATABASE_URL).toBe(url);
    });

    it.each([
      ['not a url'],
      ['mysql://x/y'],
      ['http://db.internal/sluice'],
      ['postgres:///no-host'],
      ['db.internal:5432'],
    ])('refuses %p', (url) => {
      const error = configFailure({ ...minimal, DATABASE_URL: url });
      expect(error.problems.map(variableOf)).toEqual(['DATABASE_URL']);
    });

    it('counts an empty string as unset', () => {
      expect(loadEnv({ ...minimal, DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
    });
  });

  describe('other values', () => {
    it.each([
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['PORT', '-1'],
      ['PORT', '80.5'],
      ['REDIS_URL', 'http://127.0.0.1:6379'],
      ['LOG_LEVEL', 'loud'],
      ['NODE_ENV', 'staging'],
      ['DATABASE_NAME', 'Sluice-DB'],
      ['DATABASE_POOL_SIZE', '0'],
      ['BODY_LIMIT', '10 gigabytes'],
      ['BOOTSTRAP_ADMIN_EMAIL', 'not-an-email'],
      ['BOOTSTRAP_ADMIN_PASSWORD', 'short'],
      ['DASHBOARD_SESSION_TTL_SECONDS', '30'],
      ['DASHBOARD_SESSION_TTL_SECONDS', '1d'],
      ['DASHBOARD_TENANT', 'x'.repeat(101)],
    ])('refuses %s=%p with one problem naming it', (name, value) => {
      const error = configFailure({ ...minimal, [name]: value });
      expect(error.problems).toHaveLength(1);
      expect(variableOf(error.problems[0])).toBe(name);
    });

    it('accepts rediss:// for TLS', () => {
      expect(loadEnv({ ...minimal, REDIS_URL: 'rediss://cache:6380' }).REDIS_URL).toBe('rediss://cache:6380');
    });
  });

  describe('several problems at once', () => {
    it('lists every offending variable once, in a single error', () => {
      const error = configFailure({
        ENCRYPTION_KEY: randomBytes(16).toString('hex'),
        DATABASE_URL: 'mysql://x/y',
        PORT: 'abc',
        ENCRYPTION_OLD_KEYS: 'nope',
      });
      expect(error.problems.map(variableOf).sort()).toEqual(
        ['DATABASE_URL', 'ENCRYPTION_KEY', 'ENCRYPTION_OLD_KEYS', 'JWT_SECRET', 'PORT'].sort(),
      );
    });

    it('puts every problem in the message, one per line', () => {
      const error = configFailure({ DATABASE_URL: 'not a url' });
      for (const problem of error.problems) expect(error.message).toContain(problem);
      expect(error.message).toMatch(/JWT_SECRET/);
      expect(error.message).toMatch(/ENCRYPTION_KEY/);
      expect(error.message).toMatch(/DATABASE_URL/);
    });
  });

  describe('NODE_ENV=production', () => {
    it.each([['sluice-admin-password'], ['password123'], ['changeme']])(
      'refuses the well-known BOOTSTRAP_ADMIN_PASSWORD %p',
      (password) => {
        const error = configFailure({ ...minimal, NODE_ENV: 'production', BOOTSTRAP_ADMIN_PASSWORD: password });
        expect(error.problems.map(variableOf)).toEqual(['BOOTSTRAP_ADMIN_PASSWORD']);
      },
    );

    it('refuses the default when BOOTSTRAP_ADMIN_PASSWORD is not set at all', () => {
      const error = configFailure({ ...minimal, NODE_ENV: 'production' });
      expect(error.problems.map(variableOf)).toEqual(['BOOTSTRAP_ADMIN_PASSWORD']);
    });

    it('accepts a strong password', () => {
      const env = loadEnv({ ...minimal, NODE_ENV: 'production', BOOTSTRAP_ADMIN_PASSWORD: 'Tr0ub4dor&3-horse-staple' });
      expect(env.NODE_ENV).toBe('production');
      expect(env.BOOTSTRAP_ADMIN_PASSWORD).toBe('Tr0ub4dor&3-horse-staple');
    });

    it('allows the default password outside production', () => {
      expect(loadEnv(minimal).BOOTSTRAP_ADMIN_PASSWORD).toBe('sluice-admin-password');
    });
  });

  describe('secrecy of the error', () => {
    it('never repeats the secret values it was given', () => {
      const secrets = {
        JWT_SECRET: 'short-jwt-S3CRET',
        ENCRYPTION_KEY: 'deadbeefcafebabe-KEY-VALUE',
        ENCRYPTION_OLD_KEYS: 'old:TOPSECRETOLDKEY',
        DATABASE_URL: 'mysql://admin:hunter2-db-pass@db/app',
        BOOTSTRAP_ADMIN_PASSWORD: 'pw',
      };
      const error = configFailure(secrets);
      expect(error.problems.map(variableOf).sort()).toEqual(Object.keys(secrets).sort());
      const printed = `${error.message}\n${error.problems.join('\n')}\n${String(error.stack)}`;
      for (const needle of ['short-jwt-S3CRET', 'deadbeefcafebabe', 'TOPSECRETOLDKEY', 'hunter2-db-pass']) {
        expect(printed).not.toContain(needle);
      }
    });
  });
});
