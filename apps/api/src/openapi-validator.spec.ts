import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenApiValidator, ResponseToCheck } from '../../../test/helpers/openapi-validator';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/openapi', name), 'utf8')) as Record<string, unknown>;

describe('OpenApiValidator (the committed openapi.json)', () => {
  const validator = OpenApiValidator.fromCommittedDocument();
  const answer = (overrides: Partial<ResponseToCheck>): ResponseToCheck => ({
    method: 'GET',
    path: '/api/v1/connectors/conn_7m2q9x4k1v0b8n3c',
    status: 200,
    contentType: 'application/json; charset=utf-8',
    body: fixture('connector.json'),
    ...overrides,
  });

  it('passes a connector as the API answers it', () => {
    expect(validator.problems(answer({}))).toEqual([]);
    expect(() => validator.assertMatches(answer({}))).not.toThrow();
  });

  it("fails when a field's type changes, naming the operation, the status and the field", () => {
    const body = { ...fixture('connector.json'), authConfigured: 'yes' };
    expect(validator.problems(answer({ body }))).toEqual([expect.stringContaining('/authConfigured must be boolean')]);
    expect(() => validator.assertMatches(answer({ body }))).toThrow(
      /connectors_get \(GET \/api\/v1\/connectors\/\{id\}\).*status 200[\s\S]*authConfigured/,
    );
  });

  it('fails when a required field is missing, or a date is not one', () => {
    const { status: _status, ...withoutStatus } = fixture('connector.json');
    expect(validator.problems(answer({ body: withoutStatus }))).toEqual([
      expect.stringContaining("must have required property 'status'"),
    ]);
    const badDate = { ...fixture('connector.json'), createdAt: 'yesterday' };
    expect(validator.problems(answer({ body: badDate }))).toEqual([
      expect.stringContaining('/createdAt must match format'),
    ]);
  });

  it('takes null where the document says nullable, and only there', () => {
    expect(validator.problems(answer({ body: { ...fixture('connector.json'), lastError: null } }))).toEqual([]);
    expect(validator.problems(answer({ body: { ...fixture('connector.json'), name: null } }))).not.toEqual([]);
  });

  it('takes null for a nullable object given by reference, and still checks the object', () => {
    const me = (user: unknown) =>
      answer({
        path: '/api/v1/auth/me',
        body: {
          user,
          tenant: { id: 'ten_0f3k9q2m7x1c5v8b', name: 'Acme' },
          role: 'viewer',
          via: 'api_key',
          tenants: [],
        },
      });
    expect(validator.problems(me(null))).toEqual([]);
    expect(validator.problems(me('someone'))).not.toEqual([]);
  });

  it('checks a list page through its items', () => {
    const page = {
      data: [fixture('connector.json')],
      pagination: { total: 1, limit: 20, hasMore: false, nextCursor: null },
    };
    const list = answer({ path: '/api/v1/connectors?limit=20&status=active', body: page });
    expect(validator.problems(list)).toEqual([]);
    const broken = { ...page, data: [{ ...fixture('connector.json'), id: 7 }] };
    expect(validator.problems({ ...list, body: broken })).toEqual([
      expect.stringContaining('/data/0/id must be string'),
    ]);
  });

  it('checks error answers against the one error body', () => {
    const notFound = answer({ status: 404, body: fixture('not-found.json') });
    expect(validator.problems(notFound)).toEqual([]);
    expect(validator.problems({ ...notFound, body: { ...fixture('not-found.json'), statusCode: '404' } })).toEqual([
      expect.stringContaining('/statusCode must be number'),
    ]);
  });

  it('fails a status the operation does not document, but checks transport errors on any route', () => {
    expect(validator.problems(answer({ status: 418, body: fixture('not-found.json') }))).toEqual([
      expect.stringContaining('status 418 is not documented'),
    ]);
    const tooLarge = { ...fixture('not-found.json'), statusCode: 413, code: 'PAYLOAD_TOO_LARGE' };
    expect(validator.problems(answer({ method: 'PUT', status: 413, body: tooLarge }))).toEqual([]);
    expect(validator.problems(answer({ method: 'PUT', status: 413, body: { message: 'too large' } }))).not.toEqual([]);
  });

  it('fails a JSON route that answers something else, and a body where none is documented', () => {
    expect(validator.problems(answer({ contentType: 'text/html', body: '<html></html>' }))).toEqual([
      expect.stringContaining('answered text/html'),
    ]);
    const deleted = answer({ method: 'DELETE', status: 204, contentType: 'application/json', body: { ok: true } });
    expect(validator.problems(deleted)).toEqual([expect.stringContaining('without a body')]);
    expect(validator.problems({ ...deleted, contentType: null, body: '' })).toEqual([]);
  });

  it('matches literal segments before parameters, and leaves undocumented routes alone', () => {
    expect(validator.operationFor('POST', '/api/v1/connectors/test-connection')?.operation.operationId).toBe(
      'connectors_testConnection',
    );
    expect(validator.operationFor('GET', '/api/v1/connectors/conn_1/runs/run_2')?.template).toBe(
      '/api/v1/connectors/{id}/runs/{runId}',
    );
    expect(validator.operationFor('GET', '/admin/queues')).toBeUndefined();
    expect(validator.problems(answer({ path: '/api/v1/no-such-route', status: 404, body: {} }))).toEqual([]);
  });
});
