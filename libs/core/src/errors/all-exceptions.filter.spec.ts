import {
  ArgumentsHost,
  BadRequestException,
  ForbiddenException,
  HttpException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  UnauthorizedException,
} from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { HostNotFoundError, SafeNetworkError } from '../network/safe-network';
import { AllExceptionsFilter } from './all-exceptions.filter';
import {
  BadRequestError,
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableError,
  ValidationFailedError,
} from './domain-error';

interface FakeResponse {
  statusCode?: number;
  body?: Record<string, unknown>;
  headers: Record<string, string>;
  headersSent: boolean;
  ended: boolean;
  status: jest.Mock;
  json: jest.Mock;
  setHeader: jest.Mock;
  end: jest.Mock;
}

function fakeResponse(headersSent = false): FakeResponse {
  const res: FakeResponse = {
    headers: {},
    headersSent,
    ended: false,
    status: jest.fn((code: number) => {
      res.statusCode = code;
      return res;
    }),
    json: jest.fn((body: Record<string, unknown>) => {
      res.body = body;
      return res;
    }),
    setHeader: jest.fn((name: string, value: string) => {
      res.headers[name.toLowerCase()] = value;
      return res;
    }),
    end: jest.fn(() => {
      res.ended = true;
      return res;
    }),
  };
  return res;
}

function hostFor(res: FakeResponse, request: Record<string, unknown> = {}): ArgumentsHost {
  const req = { requestId: 'req_test0000000001', method: 'GET', path: '/api/v1/connectors', ...request };
  return {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res, getNext: () => undefined }),
  } as unknown as ArgumentsHost;
}

describe('AllExceptionsFilter', () => {
  const filter = new AllExceptionsFilter();
  let logged: jest.SpyInstance;
  let warned: jest.SpyInstance;

  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  function send(exception: unknown, request?: Record<string, unknown>): FakeResponse {
    const res = fakeResponse();
    filter.catch(exception, hostFor(res, request));
    return res;
  }

  describe('domain errors', () => {
    it.each<[string, DomainError, number, string]>([
      ['BadRequestError', new BadRequestError('BAD_FILTER', 'status must be one of active, paused'), 400, 'BAD_FILTER'],
      ['UnauthorizedError', new UnauthorizedError(), 401, 'UNAUTHORIZED'],
      ['ForbiddenError', new ForbiddenError('ROLE_TOO_LOW', 'Editors only'), 403, 'ROLE_TOO_LOW'],
      ['NotFoundError', new NotFoundError('CONNECTOR_NOT_FOUND', 'Connector not found'), 404, 'CONNECTOR_NOT_FOUND'],
      ['ConflictError', new ConflictError('SYNC_RUNNING', 'A sync is already running'), 409, 'SYNC_RUNNING'],
      [
        'PayloadTooLargeError',
        new PayloadTooLargeError('FILE_TOO_LARGE', 'File exceeds 100 MB'),
        413,
        'FILE_TOO_LARGE',
      ],
      ['UnprocessableError', new UnprocessableError('SQL_REJECTED', 'Only SELECT is allowed'), 422, 'SQL_REJECTED'],
      ['TooManyRequestsError', new TooManyRequestsError('Slow down', 30), 429, 'RATE_LIMITED'],
      [
        'ServiceUnavailableError',
        new ServiceUnavailableError('LLM_NOT_CONFIGURED', 'No LLM'),
        503,
        'LLM_NOT_CONFIGURED',
      ],
    ])('%s answers with its status, code and message', (_name, error, status, code) => {
      const res = send(error);
      expect(res.statusCode).toBe(status);
      expect(res.body).toEqual({ statusCode: status, error: error.message, code, requestId: 'req_test0000000001' });
    });

    it('passes field problems through as details', () => {
      const details = [
        { field: 'name', messages: ['name must not be empty'] },
        { field: 'config.port', messages: ['port must be an integer'] },
      ];
      const res = send(new ValidationFailedError(details));
      expect(res.statusCode).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Request validation failed',
        code: 'VALIDATION_FAILED',
        details,
        requestId: 'req_test0000000001',
      });
    });

    it('passes details of a 422 through', () => {
      const details = [{ reason: 'unknown table', table: 'secrets' }];
      const res = send(new UnprocessableError('SQL_REJECTED', 'Unknown table', details));
      expect(res.body?.details).toEqual(details);
    });

    it.each([
      [30, '30'],
      [0.2, '1'],
      [0, '1'],
      [2.5, '3'],
    ])('sets Retry-After for a rate limit of %p seconds to %p', (seconds, header) => {
      const res = send(new TooManyRequestsError('Too many login attempts', seconds));
      expect(res.headers['retry-after']).toBe(header);
      expect(res.statusCode).toBe(429);
    });

    it('does not set Retry-After for other errors', () => {
      expect(send(new ConflictError('X', 'y')).setHeader).not.toHaveBeenCalled();
    });

    it('logs errors the caller caused at warn, without a stack', () => {
      send(new NotFoundError('CONNECTOR_NOT_FOUND', 'Connector not found'), { requestId: 'req_warned0000000001' });
      expect(logged).not.toHaveBeenCalled();
      expect(warned).toHaveBeenCalledTimes(1);
      expect(warned.mock.calls[0]).toEqual([
        {
          requestId: 'req_warned0000000001',
          method: 'GET',
          path: '/api/v1/connectors',
          statusCode: 404,
          code: 'CONNECTOR_NOT_FOUND',
        },
        'Connector not found',
      ]);
    });

    it.each<[string, DomainError]>([
      ['503 LLM_NOT_CONFIGURED', new ServiceUnavailableError('LLM_NOT_CONFIGURED', 'No LLM is configured')],
      ['502 LLM_UNREACHABLE', new DomainError(502, 'LLM_UNREACHABLE', 'The LLM did not answer')],
    ])('logs the expected outcome %s at warn, not as an error with a stack', (_label, error) => {
      send(error);
      expect(logged).not.toHaveBeenCalled();
      expect(warned).toHaveBeenCalledTimes(1);
      const [fields, message] = warned.mock.calls[0];
      expect(fields).toMatchObject({ statusCode: error.status, code: error.code });
      expect(fields).not.toHaveProperty('err');
      expect(message).toBe(error.message);
    });

    it.each<[string, SafeNetworkError, string]>([
      [
        'a refused address',
        new SafeNetworkError('Refused to connect to 10.0.0.1', 'private network address'),
        'ADDRESS_REFUSED',
      ],
      ['a host that does not resolve', new HostNotFoundError('db.invalid'), 'HOST_NOT_FOUND'],
    ])("answers the network guard's refusal of %s with 422 and its code, logged at warn", (_label, error, code) => {
      const res = send(error);
      expect(res.statusCode).toBe(422);
      expect(res.body).toEqual({ statusCode: 422, error: error.message, code, requestId: 'req_test0000000001' });
      expect(logged).not.toHaveBeenCalled();
      expect(warned.mock.calls[0][0]).toMatchObject({ statusCode: 422, code });
    });

    it('logs a Nest HTTP exception of 5xx at warn too', () => {
      send(new HttpException('Gateway said no', 502));
      expect(logged).not.toHaveBeenCalled();
      expect(warned.mock.calls[0][0]).toMatchObject({ statusCode: 502 });
    });
  });

  describe("Nest's HTTP exceptions", () => {
    it.each<[string, HttpException, number, string]>([
      ['NotFoundException', new NotFoundException(), 404, 'NOT_FOUND'],
      ['UnauthorizedException', new UnauthorizedException(), 401, 'UNAUTHORIZED'],
      ['ForbiddenException', new ForbiddenException(), 403, 'FORBIDDEN'],
      ['BadRequestException', new BadRequestException('limit must be a number'), 400, 'BAD_REQUEST'],
      ['PayloadTooLargeException', new PayloadTooLargeException(), 413, 'PAYLOAD_TOO_LARGE'],
      ['an unusual status', new HttpException('I am a teapot', 418), 418, 'HTTP_418'],
    ])('%s becomes %p %s', (_name, error, status, code) => {
      const res = send(error);
      expect(res.statusCode).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, code, requestId: 'req_test0000000001' });
      expect(typeof res.body?.error).toBe('string');
    });

    it('keeps the message given to the exception', () => {
      expect(send(new NotFoundException('Cannot GET /api/v1/nothing')).body?.error).toBe('Cannot GET /api/v1/nothing');
      expect(send(new HttpException('Plain string response', 409)).body?.error).toBe('Plain string response');
    });
  });

  describe('errors from Express middleware', () => {
    it('maps a body that is too large to 413 PAYLOAD_TOO_LARGE', () => {
      const err = Object.assign(new Error('request entity too large'), {
        status: 413,
        statusCode: 413,
        expose: true,
        type: 'entity.too.large',
        limit: 1048576,
        length: 5000000,
      });
      const res = send(err);
      expect(res.statusCode).toBe(413);
      expect(res.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', requestId: 'req_test0000000001' });
    });

    it('maps a body that is not JSON to 400', () => {
      const err = Object.assign(new SyntaxError('Unexpected token } in JSON at position 12'), {
        status: 400,
        type: 'entity.parse.failed',
        body: '{"password":"hunter2"}',
      });
      const res = send(err);
      expect(res.statusCode).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' });
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
      expect(JSON.stringify(res.body)).not.toContain('Unexpected token');
    });

    it.each([
      ['entity.too.deep', 400, 'JSON_TOO_DEEP'],
      ['entity.too.large', 413, 'PAYLOAD_TOO_LARGE'],
      ['entity.parse.failed', 400, 'INVALID_JSON'],
    ])('maps a body-parser error %s wrapped by the Express adapter in an HttpException', (type, status, code) => {
      const cause = Object.assign(new Error('JSON nested deeper than 32 levels'), { status, expose: true, type });
      const res = send(new HttpException(cause.message, status, { cause }));
      expect(res.statusCode).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, code });
      expect(JSON.stringify(res.body)).not.toContain('deeper than 32');
    });

    it('maps an unsupported charset to 415', () => {
      const res = send({ status: 415, type: 'charset.unsupported' });
      expect(res.statusCode).toBe(415);
    });

    it('answers a plain object with a 4xx status and no type as that status', () => {
      const res = send({ status: 400, type: 'request.aborted', message: 'internal detail' });
      expect(res.statusCode).toBe(400);
      expect(JSON.stringify(res.body)).not.toContain('internal detail');
    });
  });

  describe('unexpected errors', () => {
    const pgError = Object.assign(new Error('password authentication failed for user "sluice"'), {
      name: 'error',
      severity: 'FATAL',
      code: '28P01',
      routine: 'auth_failed',
      file: 'auth.c',
      line: '335',
    });
    const driverSyntaxError = Object.assign(new Error('syntax error at or near "FROM" in SELECT secret FROM t'), {
      code: '42601',
      position: '8',
      query: 'SELECT secret FROM t WHERE token = $1',
      parameters: ['sk_abcdefgh12345678'],
    });

    it.each<[string, unknown, string[]]>([
      [
        'a connection error',
        new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2'),
        ['ECONNREFUSED', '10.0.0.5', 'hunter2'],
      ],
      ['a pg authentication error', pgError, ['password authentication', '28P01', 'auth.c']],
      ['a pg syntax error', driverSyntaxError, ['syntax error', 'SELECT', 'sk_abcdefgh']],
      ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')"), ['Cannot read', "'id'"]],
      ['a thrown string', 'postgresql://sluice:hunter2@db/sluice', ['hunter2', 'postgresql']],
      ['undefined', undefined, []],
      ['null', null, []],
      ['an error claiming a 5xx status', Object.assign(new Error('upstream said no'), { status: 502 }), ['upstream']],
    ])('turns %s into a bare 500', (_label, error, leaks) => {
      const res = send(error);
      expect(res.statusCode).toBe(500);
      expect(res.body).toEqual({
        statusCode: 500,
        error: expect.any(String),
        code: 'INTERNAL_ERROR',
        requestId: 'req_test0000000001',
      });
      const text = JSON.stringify(res.body);
      for (const leak of leaks) expect(text).not.toContain(leak);
      expect(text).not.toMatch(/\bat .+:\d+:\d+/);
      expect(text).not.toContain('stack');
    });

    it.each([
      [
        'a killed backend (57P01)',
        new QueryFailedError(
          'SELECT 1',
          [],
          Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
        ),
      ],
      ['a dropped socket', new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'))],
      [
        'a refused connection',
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      ],
      ['a connection exception (08006)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ])('answers %s as 503 DATABASE_UNAVAILABLE, with nothing of the driver', (_name, error) => {
      const res = send(error);
      expect(res.statusCode).toBe(503);
      expect(res.body).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(JSON.stringify(res.body)).not.toMatch(/terminat|ECONNREFUSED|08006/);
    });

    it('answers a unique violation that lost a race as 409 ALREADY_EXISTS', () => {
      const error = new QueryFailedError(
        'INSERT',
        [],
        Object.assign(new Error('duplicate key value violates unique constraint "x"'), { code: '23505' }),
      );
      const res = send(error);
      expect(res.statusCode).toBe(409);
      expect(res.body).toMatchObject({ code: 'ALREADY_EXISTS' });
      expect(JSON.stringify(res.body)).not.toContain('duplicate key');
    });

    it('answers a write that refers to a row deleted at the same moment as 404 REFERENCE_NOT_FOUND', () => {
      const error = new QueryFailedError(
        'INSERT',
        [],
        Object.assign(
          new Error(
            'insert or update on table "examples" violates foreign key constraint "examples_connector_id_fkey"',
          ),
          { code: '23503' },
        ),
      );
      const res = send(error);
      expect(res.statusCode).toBe(404);
      expect(res.body).toMatchObject({ code: 'REFERENCE_NOT_FOUND' });
      expect(JSON.stringify(res.body)).not.toContain('examples_connector_id_fkey');
    });

    it('answers a delete of a row still referred to as 409 STILL_REFERENCED', () => {
      const error = new QueryFailedError(
        'DELETE',
        [],
        Object.assign(
          new Error('update or delete on table "connectors" violates foreign key constraint "x" on table "y"'),
          {
            code: '23503',
          },
        ),
      );
      const res = send(error);
      expect(res.statusCode).toBe(409);
      expect(res.body).toMatchObject({ code: 'STILL_REFERENCED' });
    });

    it('keeps a library error with expose: false from reaching the caller', () => {
      const res = send(Object.assign(new Error('secret internal reason'), { status: 400, expose: false }));
      expect(res.statusCode).toBe(500);
      expect(JSON.stringify(res.body)).not.toContain('secret internal reason');
    });

    it('logs the error with the request id for operators', () => {
      const error = new Error('connect ECONNREFUSED 10.0.0.5:5432');
      send(error, { requestId: 'req_logged00000001', method: 'POST', path: '/api/v1/nl2sql/query' });
      expect(logged).toHaveBeenCalledTimes(1);
      expect(warned).not.toHaveBeenCalled();
      expect(logged.mock.calls[0][0]).toMatchObject({
        requestId: 'req_logged00000001',
        method: 'POST',
        path: '/api/v1/nl2sql/query',
        err: error,
      });
    });
  });

  describe('request id', () => {
    it.each<[string, unknown]>([
      ['a domain error', new NotFoundError('X_NOT_FOUND', 'x')],
      ['a Nest exception', new NotFoundException()],
      ['a body parser error', { status: 413, type: 'entity.too.large' }],
      ['an unexpected error', new Error('boom')],
    ])('is in the body of %s', (_label, error) => {
      expect(send(error, { requestId: 'req_abcdefghijklmnop' }).body?.requestId).toBe('req_abcdefghijklmnop');
    });

    it('is still present when the request never got one', () => {
      const res = send(new Error('boom'), { requestId: undefined });
      expect(typeof res.body?.requestId).toBe('string');
      expect(res.body?.requestId).not.toBe('');
    });
  });

  describe('when the response has already started', () => {
    it('ends it instead of writing a second body', () => {
      const res = fakeResponse(true);
      filter.catch(new Error('stream broke'), hostFor(res));
      expect(res.ended).toBe(true);
      expect(res.json).not.toHaveBeenCalled();
      expect(res.status).not.toHaveBeenCalled();
    });
  });
});
