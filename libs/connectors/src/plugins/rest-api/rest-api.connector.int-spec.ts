import type { LoggerService } from '@nestjs/common';
import { SafeNetwork, SafeNetworkError } from '@sluice/core';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { describeConnectorContract } from '../../../../../test/helpers/connector-contract';
import { contextFor } from '../../../../../test/helpers/connector-testing';
import { testEnv } from '../../../../../test/helpers/test-env';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import type { ConnectorContext, DiscoveredItem } from '../../plugin/connector-plugin';
import { CONNECTOR_PLUGIN } from '../../plugin/connector-plugin.decorator';
import type { RestApiConfig } from './rest-api-config';
import { RestApiConnector } from './rest-api.connector';

const TOKEN = 'tok-rest-5e1f9a7c3b';
const API_KEY = 'key-rest-8d2c6e4a1f';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A local HTTP server answering with the handler the test sets, recording every request. */
class ApiServer {
  seen: Seen[] = [];
  handler: Handler = (_req, res) => res.end('[]');
  private server?: Server;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        this.handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

const json = (res: ServerResponse, value: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
};

const records = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => ({ id: from + i, name: `r${from + i}` }));

describe('RestApiConnector', () => {
  const env = testEnv({});
  const connector = new RestApiConnector(env);
  let api: ApiServer;
  let other: ApiServer;
  const lines: string[] = [];
  const logger: LoggerService = {
    log: (m: unknown) => void lines.push(String(m)),
    warn: (m: unknown) => void lines.push(String(m)),
    error: (m: unknown) => void lines.push(String(m)),
  };

  const ctx = (
    config: Record<string, unknown>,
    auth: Record<string, unknown> = {},
    options: { net?: SafeNetwork; signal?: AbortSignal } = {},
  ): ConnectorContext<RestApiConfig> => ({
    ...contextFor<RestApiConfig>(connector.parseConfig({ url: `${api.origin}/items`, ...config }, auth), options),
    logger,
  });
  const bearer = (config: Record<string, unknown> = {}) => ctx({ authType: 'bearer', ...config }, { token: TOKEN });

  const discoverAll = async (context: ConnectorContext<RestApiConfig>): Promise<DiscoveredItem[][]> => {
    const batches: DiscoveredItem[][] = [];
    for await (const batch of connector.discover(context)) batches.push(batch);
    return batches;
  };

  beforeAll(async () => {
    api = await new ApiServer().start();
    other = await new ApiServer().start();
  });
  afterAll(async () => {
    await api.stop();
    await other.stop();
  });
  beforeEach(() => {
    api.seen = [];
    other.seen = [];
    lines.length = 0;
    // The default API: two records behind a bearer token; HEAD answered like GET.
    api.handler = (req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end();
        return;
      }
      json(res, { data: records(1, 3) });
    };
  });

  it('registers as rest_api, with records pruned at a complete sync', () => {
    expect(Reflect.getMetadata(CONNECTOR_PLUGIN, RestApiConnector)).toMatchObject({
      type: 'rest_api',
      category: 'api',
      readiness: 'ready',
      capabilities: ['test', 'discover', 'read'],
      pruneRecords: true,
    });
  });

  describe('parseConfig', () => {
    const fieldOf = (work: () => unknown): string => {
      try {
        work();
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectorConfigError);
        return (error as ConnectorConfigError).details![0] as unknown as string;
      }
      throw new Error('expected a ConnectorConfigError');
    };
    const field = (work: () => unknown) => (fieldOf(work) as unknown as { field: string }).field;

    it('fills in defaults', () => {
      expect(connector.parseConfig({ url: 'https://api.example.com/v1/items' }, {})).toMatchObject({
        method: 'GET',
        headers: {},
        authType: 'none',
        pagination: { type: 'none', pageParam: 'page', pageSize: 100, cursorParam: 'cursor' },
        maxPages: 100,
        maxRecords: 100_000,
        maxResponseBytes: env.HTTP_RESPONSE_MAX_BYTES,
        maxRetries: 3,
      });
    });

    it('refuses bad fields, naming each', () => {
      const url = 'https://api.example.com/';
      expect(field(() => connector.parseConfig({ url: 'ftp://x/' }, {}))).toBe('config.url');
      expect(field(() => connector.parseConfig({ url: 'https://u:p@api.example.com/' }, {}))).toBe('config.url');
      expect(field(() => connector.parseConfig({ url, headers: { Authorization: 'x' } }, {}))).toBe('config.headers');
      expect(field(() => connector.parseConfig({ url, headers: { 'X-A': 'a\nb' } }, {}))).toBe('config.headers');
      expect(field(() => connector.parseConfig({ url, body: { a: 1 } }, {}))).toBe('config.body');
      expect(field(() => connector.parseConfig({ url, pagination: { type: 'cursor' } }, {}))).toBe(
        'config.pagination.cursorPath',
      );
      expect(field(() => connector.parseConfig({ url, authType: 'bearer' }, {}))).toBe('authConfig.token');
      expect(field(() => connector.parseConfig({ url, authType: 'api_key_query' }, {}))).toBe('authConfig.apiKey');
      expect(field(() => connector.parseConfig({ url, maxResponseBytes: env.HTTP_RESPONSE_MAX_BYTES + 1 }, {}))).toBe(
        'config.maxResponseBytes',
      );
    });
  });

  describeConnectorContract('rest_api', () => connector, {
    valid: () => bearer({ recordsPath: 'data', idField: 'id' }),
    probe: { status: 200, method: 'HEAD' },
    // Nothing listens on port 1: the connection is refused at once.
    failing: () => ctx({ url: 'http://127.0.0.1:1/items' }),
    failure: /^Connection refused by 127\.0\.0\.1:1$/,
    refusal: {
      context: {
        context: () => ctx({ url: 'http://10.0.0.1/items' }),
        error: { type: SafeNetworkError, code: 'ADDRESS_REFUSED' },
      },
    },
    discovered: ['1', '2'],
    read: { item: { externalId: '2' }, content: '{"id":2,"name":"r2"}' },
  });

  describe('records', () => {
    it('become record documents with the record JSON in metadata and a stable checksum', async () => {
      const [batch] = await discoverAll(bearer({ recordsPath: 'data', idField: 'id' }));
      expect(batch[0]).toMatchObject({
        externalId: '1',
        kind: 'record',
        name: '1',
        mimeType: 'application/json',
        size: Buffer.byteLength('{"id":1,"name":"r1"}'),
        metadata: { content: '{"id":1,"name":"r1"}', record: { id: 1, name: 'r1' } },
      });
      // The same record with its keys in another order is unchanged.
      api.handler = (_req, res) => json(res, { data: [{ name: 'r1', id: 1 }] });
      const [again] = await discoverAll(bearer({ recordsPath: 'data', idField: 'id' }));
      expect(again[0].checksum).toBe(batch[0].checksum);
    });

    it('are named by the hash of their content without an idField', async () => {
      const [batch] = await discoverAll(bearer({ recordsPath: 'data' }));
      expect(batch.map((i) => i.externalId)).toEqual([
        expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      ]);
      expect(batch[0].externalId).not.toBe(batch[1].externalId);
    });

    it('fail clearly when recordsPath leads nowhere', async () => {
      await expect(discoverAll(bearer({ recordsPath: 'items' }))).rejects.toMatchObject({
        code: 'RECORDS_NOT_FOUND',
        message: expect.stringContaining('config.recordsPath'),
      });
    });
  });

  describe('pagination', () => {
    const TOTAL = 5;
    const ids = (batches: DiscoveredItem[][]) => batches.flat().map((i) => i.externalId);

    it('page: page number and size until a short page', async () => {
      api.handler = (req, res) => {
        const q = new URL(req.url!, api.origin).searchParams;
        const page = Number(q.get('p'));
        const size = Number(q.get('size'));
        json(res, records((page - 1) * size + 1, Math.min(page * size, TOTAL) + 1));
      };
      const batches = await discoverAll(
        ctx({ idField: 'id', pagination: { type: 'page', pageParam: 'p', sizeParam: 'size', pageSize: 2 } }),
      );
      expect(ids(batches)).toEqual(['1', '2', '3', '4', '5']);
      expect(api.seen.map((s) => s.url)).toEqual(['/items?p=1&size=2', '/items?p=2&size=2', '/items?p=3&size=2']);
    });

    it('offset: offset and limit until a short page', async () => {
      api.handler = (req, res) => {
        const q = new URL(req.url!, api.origin).searchParams;
        const offset = Number(q.get('offset'));
        json(res, { rows: records(offset + 1, Math.min(offset + Number(q.get('limit')), TOTAL) + 1) });
      };
      const batches = await discoverAll(
        ctx({ recordsPath: 'rows', idField: 'id', pagination: { type: 'offset', pageSize: 2 } }),
      );
      expect(ids(batches)).toEqual(['1', '2', '3', '4', '5']);
      expect(api.seen.map((s) => s.url)).toEqual([
        '/items?offset=0&limit=2',
        '/items?offset=2&limit=2',
        '/items?offset=4&limit=2',
      ]);
    });

    it('cursor: the next cursor from the answer until it is missing', async () => {
      api.handler = (req, res) => {
        const after = Number(new URL(req.url!, api.origin).searchParams.get('after') ?? 0);
        const end = Math.min(after + 2, TOTAL);
        json(res, { items: records(after + 1, end + 1), meta: { next: end < TOTAL ? String(end) : null } });
      };
      const batches = await discoverAll(
        ctx({
          recordsPath: 'items',
          idField: 'id',
          pagination: { type: 'cursor', cursorPath: 'meta.next', cursorParam: 'after' },
        }),
      );
      expect(ids(batches)).toEqual(['1', '2', '3', '4', '5']);
      expect(api.seen.map((s) => s.url)).toEqual(['/items', '/items?after=2', '/items?after=4']);
    });

    it('cursor: stops when the API repeats a cursor', async () => {
      api.handler = (_req, res) => json(res, { items: records(1, 3), next: 'same' });
      const batches = await discoverAll(
        ctx({ recordsPath: 'items', idField: 'id', pagination: { type: 'cursor', cursorPath: 'next' } }),
      );
      expect(batches).toHaveLength(2);
    });

    it('link: follows the Link header rel=next, relative or absolute', async () => {
      api.handler = (req, res) => {
        const page = Number(new URL(req.url!, api.origin).searchParams.get('page') ?? 1);
        const headers: Record<string, string> = {};
        if (page === 1) headers.link = `</items?page=2>; rel="next", </items?page=3>; rel="last"`;
        if (page === 2) headers.link = `<${api.origin}/items?page=3>; rel="prev next"`;
        json(res, records(page * 2 - 1, Math.min(page * 2, TOTAL) + 1), headers);
      };
      const batches = await discoverAll(ctx({ idField: 'id', pagination: { type: 'link' } }));
      expect(ids(batches)).toEqual(['1', '2', '3', '4', '5']);
      expect(api.seen.map((s) => s.url)).toEqual(['/items', '/items?page=2', '/items?page=3']);
    });

    it('stops at maxPages and maxRecords', async () => {
      api.handler = (req, res) => {
        const page = Number(new URL(req.url!, api.origin).searchParams.get('page'));
        json(res, records(page * 10, page * 10 + 10));
      };
      const paging = { type: 'page', pageSize: 10 };
      expect(await discoverAll(ctx({ idField: 'id', pagination: paging, maxPages: 3 }))).toHaveLength(3);
      expect(lines.some((l) => l.includes('maxPages'))).toBe(true);
      api.seen = [];
      const capped = await discoverAll(ctx({ idField: 'id', pagination: paging, maxRecords: 15 }));
      expect(capped.map((b) => b.length)).toEqual([10, 5]);
      expect(api.seen).toHaveLength(2);
    });

    it('sends the POST body with every page', async () => {
      api.handler = (_req, res) => json(res, records(1, 2));
      await discoverAll(ctx({ method: 'POST', body: { query: 'all' }, idField: 'id' }));
      expect(api.seen[0]).toMatchObject({ method: 'POST', body: '{"query":"all"}' });
      expect(api.seen[0].headers['content-type']).toBe('application/json');
    });
  });

  describe('retries', () => {
    it('waits as Retry-After (seconds) says after a 429, then succeeds', async () => {
      let calls = 0;
      api.handler = (_req, res) => {
        calls++;
        if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
        else json(res, records(1, 3));
      };
      const started = Date.now();
      const batches = await discoverAll(ctx({ idField: 'id' }));
      expect(batches.flat().map((i) => i.externalId)).toEqual(['1', '2']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(calls).toBe(2);
    });

    it('honours Retry-After as an HTTP date, and retries a 503', async () => {
      let calls = 0;
      api.handler = (_req, res) => {
        calls++;
        // An HTTP date has whole seconds, so "two seconds from now" is at least one second away.
        if (calls === 1) res.writeHead(503, { 'retry-after': new Date(Date.now() + 2_000).toUTCString() }).end();
        else json(res, records(1, 2));
      };
      const started = Date.now();
      await discoverAll(ctx({ idField: 'id' }));
      expect(calls).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    });

    it('gives up after maxRetries, naming the status', async () => {
      api.handler = (_req, res) => res.writeHead(500).end();
      await expect(discoverAll(ctx({ maxRetries: 2 }))).rejects.toMatchObject({
        code: 'API_ERROR',
        message: expect.stringContaining('HTTP 500'),
      });
      expect(api.seen).toHaveLength(3);
    });

    it('stops waiting when the signal is aborted', async () => {
      api.handler = (_req, res) => res.writeHead(429, { 'retry-after': '30' }).end();
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 200);
      await expect(discoverAll(ctx({}, {}, { signal: controller.signal }))).rejects.toBeInstanceOf(
        ConnectorRequestError,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  describe('redirects', () => {
    it('refuses a redirect to the cloud metadata address: the guard judges every hop', async () => {
      api.handler = (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      await expect(connector.test(bearer())).rejects.toMatchObject({ code: 'ADDRESS_REFUSED' });
      await expect(discoverAll(bearer())).rejects.toBeInstanceOf(SafeNetworkError);
    });

    it('sends no credentials to another origin, in headers or query', async () => {
      other.handler = (_req, res) => json(res, records(1, 2));
      for (const [config, auth] of [
        [{ authType: 'bearer' }, { token: TOKEN }],
        [{ authType: 'basic' }, { username: 'me', password: TOKEN }],
        [{ authType: 'api_key_header', apiKeyName: 'X-Api-Key' }, { apiKey: API_KEY }],
        [{ authType: 'api_key_query', apiKeyName: 'key' }, { apiKey: API_KEY }],
      ] as const) {
        api.handler = (req, res) => res.writeHead(307, { location: `${other.origin}/moved${req.url}` }).end();
        const batches = await discoverAll(ctx({ ...config, idField: 'id' }, auth));
        expect(batches.flat().map((i) => i.externalId)).toEqual(['1']);
      }
      // The first server got the credentials; the second none of them.
      expect(api.seen.map((s) => s.headers.authorization ?? s.headers['x-api-key'] ?? s.url)).toEqual([
        `Bearer ${TOKEN}`,
        `Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}`,
        API_KEY,
        `/items?key=${API_KEY}`,
      ]);
      expect(other.seen).toHaveLength(4);
      const received = JSON.stringify(other.seen);
      expect(received).not.toContain(TOKEN);
      expect(received).not.toContain(API_KEY);
      expect(received).not.toMatch(/authorization|x-api-key/i);
    });

    it('keeps credentials on a redirect within the origin', async () => {
      api.handler = (req, res) => {
        if (req.url === '/items') res.writeHead(301, { location: '/v2/items' }).end();
        else if (req.headers.authorization === `Bearer ${TOKEN}`) json(res, records(1, 2));
        else res.writeHead(401).end();
      };
      expect((await discoverAll(bearer({ idField: 'id' }))).flat()).toHaveLength(1);
      expect(api.seen.map((s) => s.url)).toEqual(['/items', '/v2/items']);
    });

    it(`stops after 5 hops`, async () => {
      api.handler = (req, res) => res.writeHead(302, { location: `${req.url}x` }).end();
      await expect(discoverAll(ctx({}))).rejects.toMatchObject({ code: 'TOO_MANY_REDIRECTS' });
      expect(api.seen).toHaveLength(6);
    });
  });

  it('refuses an oversized answer with a clear message, announced or streamed', async () => {
    const big = JSON.stringify(records(0, 200));
    api.handler = (_req, res) => json(res, records(0, 200));
    const expected = {
      code: 'RESPONSE_TOO_LARGE',
      message: expect.stringMatching(/more than 1024 bytes .*config\.maxResponseBytes/),
    };
    await expect(discoverAll(ctx({ maxResponseBytes: 1024 }))).rejects.toMatchObject(expected);
    api.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(big.slice(0, 800));
      setTimeout(() => res.end(big.slice(800)), 20);
    };
    await expect(discoverAll(ctx({ maxResponseBytes: 1024 }))).rejects.toMatchObject(expected);
  });

  it('refuses an answer nested too deep, and turns a NUL (which PostgreSQL cannot store) into U+FFFD', async () => {
    api.handler = (_req, res) => res.end(`${'['.repeat(101)}${']'.repeat(101)}`);
    await expect(discoverAll(ctx({}))).rejects.toMatchObject({ code: 'API_JSON_TOO_DEEP' });
    api.handler = (_req, res) => res.end('[{"id":"a\\u0000b"}]');
    const [[item]] = await discoverAll(ctx({ idField: 'id' }));
    expect(item.externalId).toBe('a\ufffdb');
    expect(JSON.stringify(item)).not.toContain('\\u0000');
  });

  describe('probe', () => {
    it('falls back to GET when HEAD is refused with 405', async () => {
      api.handler = (req, res) => (req.method === 'HEAD' ? res.writeHead(405).end() : json(res, []));
      const outcome = await connector.test(ctx({}));
      expect(outcome).toMatchObject({ success: true, details: { status: 200, method: 'GET' } });
      expect(api.seen.map((s) => s.method)).toEqual(['HEAD', 'GET']);
    });

    it('reports wrong credentials (401) as a failure, without the secret', async () => {
      const outcome = await connector.test(ctx({ authType: 'bearer' }, { token: 'wrong-token-123' }));
      expect(outcome).toMatchObject({
        success: false,
        message: expect.stringMatching(/refused the credentials \(HTTP 401\)/),
      });
      expect(JSON.stringify(outcome)).not.toContain('wrong-token-123');
    });

    it('reports other statuses as a failure naming them', async () => {
      api.handler = (_req, res) => res.writeHead(404).end();
      expect(await connector.test(ctx({}))).toMatchObject({
        success: false,
        message: expect.stringContaining('HTTP 404'),
      });
    });
  });

  it('puts the secrets in no document, message or log line', async () => {
    let calls = 0;
    api.handler = (req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': '0' }).end();
      else if (calls === 2) res.writeHead(302, { location: `/p2?${new URL(req.url!, api.origin).searchParams}` }).end();
      else json(res, { data: records(1, 3) });
    };
    const context = ctx(
      { authType: 'api_key_query', apiKeyName: 'key', recordsPath: 'data', idField: 'id' },
      { apiKey: API_KEY },
    );
    const items = (await discoverAll(context)).flat();
    expect(items).toHaveLength(2);
    api.handler = (_req, res) => res.writeHead(500).end();
    const error = await discoverAll({ ...context, config: { ...context.config, maxRetries: 0 } }).catch(
      (e: Error) => e,
    );
    const probe = await connector.test(context);
    expect(lines.length).toBeGreaterThan(0);
    for (const text of [JSON.stringify(items), String(error), JSON.stringify(probe), ...lines]) {
      expect(text).not.toContain(API_KEY);
    }
  });

  it('read() answers RECORD_NOT_FOUND for a record the API no longer lists', async () => {
    await expect(
      connector.read(bearer({ recordsPath: 'data', idField: 'id' }), { externalId: '99' }),
    ).rejects.toMatchObject({
      code: 'RECORD_NOT_FOUND',
    });
    expect(await text(await connector.read(bearer({ recordsPath: 'data', idField: 'id' }), { externalId: '1' }))).toBe(
      '{"id":1,"name":"r1"}',
    );
  });
});
