import { startTestApp, TestApp } from './helpers/test-app';

interface LogRecord {
  level: string;
  msg: string;
  context?: string;
  requestId?: string;
  code?: string;
  statusCode?: number;
  err?: unknown;
  stack?: unknown;
}

describe('what the API logs, and at which level (e2e)', () => {
  let t: TestApp;
  let token: string;
  let connectorId: string;
  const records = (): LogRecord[] => t.logs.map((line) => JSON.parse(line) as LogRecord);
  /** What a request logged besides its one access line (context Http, checked apart). */
  const ofRequest = (requestId: string) => {
    const lines = records().filter((r) => r.requestId === requestId);
    const access = lines.filter((r) => r.context === 'Http');
    expect(access).toEqual([expect.objectContaining({ level: 'info', msg: 'request completed' })]);
    return lines.filter((r) => r.context !== 'Http');
  };

  beforeAll(async () => {
    t = await startTestApp({ SAFE_NETWORK_ALLOW: '127.0.0.1', LLM_MAX_RETRIES: '0' }, { captureLogs: true });
    token = await t.http.login('admin@acme.test', 'acme-admin-password');
    const url = new URL(t.env.DATABASE_URL!);
    const created = await t.http.post(
      '/api/v1/connectors',
      {
        name: 'Own database',
        type: 'postgresql',
        config: {
          host: '127.0.0.1',
          port: Number(url.port),
          database: url.pathname.slice(1),
          user: 'postgres',
          ssl: { mode: 'disable' },
        },
        authConfig: { password: 'unused-under-trust' },
      },
      { token },
    );
    expect(created.status).toBe(201);
    connectorId = created.body.id;
  });
  afterAll(() => t?.close());

  it("writes Nest's route-mapping lines at debug, none at info", () => {
    const mapping = records().filter((r) => r.context === 'RouterExplorer' || r.context === 'RoutesResolver');
    expect(mapping.length).toBeGreaterThan(50);
    expect(new Set(mapping.map((r) => r.level))).toEqual(new Set(['debug']));
  });

  it('logs 503 LLM_NOT_CONFIGURED at warn without a stack', async () => {
    const res = await t.http.post(
      '/api/v1/nl2sql/query',
      { connectorId, question: 'How many tenants are there?' },
      { token },
    );
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('LLM_NOT_CONFIGURED');
    const lines = ofRequest(res.body.requestId);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', context: 'Errors', code: 'LLM_NOT_CONFIGURED', statusCode: 503 }),
    ]);
    expect(lines[0]).not.toHaveProperty('err');
    expect(lines[0]).not.toHaveProperty('stack');
  });

  it('logs 502 LLM_UNREACHABLE at warn without a stack', async () => {
    const put = await t.http.put(
      '/api/v1/settings/llm',
      { provider: 'openai', model: 'm', baseUrl: 'http://10.1.2.3:8000/v1', apiKey: 'sk-test-secret' },
      { token },
    );
    expect(put.status).toBe(200);
    const res = await t.http.post(
      '/api/v1/nl2sql/query',
      { connectorId, question: 'How many tenants are there?' },
      { token },
    );
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('LLM_UNREACHABLE');
    const lines = ofRequest(res.body.requestId);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', code: 'LLM_UNREACHABLE', statusCode: 502 })]);
    expect(lines[0]).not.toHaveProperty('err');
    expect(lines[0]).not.toHaveProperty('stack');
  });

  it('logs a 4xx at warn with its code, and nothing at error level so far', async () => {
    const res = await t.http.get('/api/v1/connectors/conn_doesnotexist00', { token });
    expect(res.status).toBe(404);
    expect(ofRequest(res.body.requestId)).toEqual([
      expect.objectContaining({ level: 'warn', code: res.body.code, statusCode: 404, msg: res.body.error }),
    ]);
    expect(records().filter((r) => r.level === 'error' || r.level === 'fatal')).toEqual([]);
  });
});
