import { INestApplicationContext } from '@nestjs/common';
import Redis from 'ioredis';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { loadChinookPostgres, localPostgresConnector } from './helpers/chinook';
import { FakeOpenAi } from './helpers/fake-openai';
import { waitForRun } from './helpers/runs';
import { startTestApp, TestApp } from './helpers/test-app';
import { dropDatabase, REDIS_URL, testVariables } from './helpers/test-env';
import { startTestWorker } from './helpers/test-worker';

/**
 * One story through the platform with every secret in it made unique, then a sweep for them:
 * in every response body and header, every log line, the server-sent events, the job data in
 * Redis and a pg_dump of Sluice's own database. A secret may appear once, where it is given
 * out on purpose (an API key when created), and nowhere else.
 */
describe('secrets stay secret through a whole story (e2e)', () => {
  const secrets = {
    dbPassword: `pw-${randomBytes(12).toString('hex')}`,
    llmKey: `sk-${randomBytes(16).toString('hex')}`,
    userPassword: `pass-${randomBytes(12).toString('hex')}`,
  };
  const chinookUrl = testVariables().DATABASE_URL;
  const llm = new FakeOpenAi();
  const seen: string[] = [];
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  let apiKey = '';

  /** A request whose answer is kept for the sweep. */
  async function call(method: string, path: string, token: string, body?: unknown) {
    const res = await t.http.request(method, path, { token, body });
    seen.push(`${method} ${path} -> ${res.status} ${JSON.stringify([...res.headers.entries()])} ${res.text}`);
    return res;
  }

  beforeAll(async () => {
    await loadChinookPostgres(chinookUrl);
    await llm.start();
    llm.fallback = { content: 'SELECT count(*) FROM album' };
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1' }, { captureLogs: true });
    worker = await startTestWorker(t.env, t.logger);
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await llm.stop();
    await dropDatabase(chinookUrl);
  });

  it('are found nowhere they should not be', async () => {
    const admin = await t.http.login('admin@acme.test', 'acme-admin-password');
    await call('POST', '/api/v1/users', admin, {
      email: 'erin@acme.test',
      password: secrets.userPassword,
      role: 'editor',
    });
    const editor = await t.http.login('erin@acme.test', secrets.userPassword);
    const created = await call('POST', '/api/v1/api-keys', admin, { name: 'script', role: 'viewer' });
    apiKey = created.body.key;
    seen.pop(); // the one answer that shows the key, on purpose

    await call('PUT', '/api/v1/settings/llm', admin, {
      provider: 'openai',
      model: 'scripted',
      baseUrl: llm.baseUrl,
      apiKey: secrets.llmKey,
    });
    const connector = await call('POST', '/api/v1/connectors', editor, {
      name: 'Chinook',
      ...localPostgresConnector(chinookUrl, secrets.dbPassword),
    });
    expect(connector.status).toBe(201);
    const id = connector.body.id;
    await call('POST', `/api/v1/connectors/${id}/test`, editor);
    await call('GET', `/api/v1/connectors/${id}`, apiKey);
    await call('GET', '/api/v1/connectors', editor);
    const run = await call('POST', `/api/v1/connectors/${id}/sync`, editor);
    const events = await fetch(`${t.baseUrl}/api/v1/connectors/${id}/runs/${run.body.id}/events`, {
      headers: { authorization: `Bearer ${editor}` },
    });
    seen.push(await events.text()); // ends with the run's final event
    expect((await waitForRun(t.http, editor, id, run.body.id)).status).toBe('succeeded');
    await call('GET', `/api/v1/connectors/${id}/schema`, editor);
    await call('POST', '/api/v1/nl2sql/query', editor, { connectorId: id, question: 'How many albums?', answer: true });
    await call('GET', '/api/v1/history', editor);
    await call('GET', '/api/v1/settings/llm', admin);
    // A failing probe must not echo its secret either.
    await call('PUT', `/api/v1/connectors/${id}`, editor, {
      config: { host: '127.0.0.1', port: 1, database: 'nope', user: 'postgres', ssl: { mode: 'disable' } },
      authConfig: { password: secrets.dbPassword },
    });
    await call('POST', `/api/v1/connectors/${id}/test`, editor);

    // Job data in Redis: every key of this app's prefix, whatever its type.
    const redis = new Redis(REDIS_URL);
    const stored: string[] = [];
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${t.env.REDIS_KEY_PREFIX}:*`, 'COUNT', 500);
        for (const key of keys) {
          const type = await redis.type(key);
          if (type === 'hash') stored.push(JSON.stringify(await redis.hgetall(key)));
          else if (type === 'string') stored.push((await redis.get(key)) ?? '');
          else if (type === 'list') stored.push((await redis.lrange(key, 0, -1)).join('\n'));
          else if (type === 'zset') stored.push((await redis.zrange(key, 0, -1)).join('\n'));
          else if (type === 'set') stored.push((await redis.smembers(key)).join('\n'));
        }
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    expect(stored.length).toBeGreaterThan(0);

    const { stdout: dump } = await promisify(execFile)('pg_dump', ['--data-only', t.env.DATABASE_URL!], {
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(dump).toContain('COPY public.connectors');

    const places: Record<string, string> = {
      responses: seen.join('\n'),
      logs: t.logs.join('\n'),
      redis: stored.join('\n'),
      'pg_dump of Sluice': dump,
    };
    const found: string[] = [];
    for (const [where, text] of Object.entries(places)) {
      for (const [name, secret] of Object.entries({ ...secrets, apiKey })) {
        if (text.includes(secret)) found.push(`${name} in ${where}`);
      }
    }
    expect(found).toEqual([]);
    // The story really happened: the logs and responses are not empty.
    expect(t.logs.length).toBeGreaterThan(10);
    expect(places.responses).toContain('"ok":true');
  }, 120_000);
});
