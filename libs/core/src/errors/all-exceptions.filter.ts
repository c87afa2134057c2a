import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SafeNetworkError } from '../network/safe-network';
import { DomainError, TooManyRequestsError } from './domain-error';
import { ErrorResponseDto } from './error-response.dto';
import { JSON_MAX_MEMBERS, JSON_MAX_VALUES } from '../validation/json-inspection';

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Errors raised by Express middleware (body parser) before Nest sees the request. */
interface HttpLikeError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/**
 * The metadata database is unreachable or dropped the connection (a restart, a failover, a killed
 * backend): connection exceptions (08xxx), admin shutdown (57P01-3), and the pg client's own
 * socket errors. The request may be retried; nothing about it was wrong.
 */
function databaseUnavailable(exception: unknown): boolean {
  if (!(exception instanceof Error)) return false;
  // TypeORM's word for a query on a connection that was already lost and given back.
  if (exception.name === 'QueryRunnerAlreadyReleasedError') return true;
  const e = exception as Error & { code?: unknown; driverError?: { code?: unknown; message?: unknown } };
  const code = e.driverError?.code ?? e.code;
  if (typeof code === 'string' && (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code))) return true;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  const message = String(e.driverError?.message ?? e.message);
  return /^(Connection terminated|terminating connection|Client has encountered a connection error|timeout exceeded when trying to connect)/.test(
    message,
  );
}

/** PostgreSQL's unique_violation, raw or wrapped by TypeORM. */
function uniqueViolation(exception: unknown): boolean {
  const e = exception as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  return e?.driverError?.code === '23505' || (e?.code === '23505' && exception instanceof Error);
}

/**
 * PostgreSQL's foreign_key_violation, raw or wrapped by TypeORM: `write` when a row was written
 * that refers to a missing one, `delete` when a row still referred to was deleted; null otherwise.
 */
function foreignKeyViolation(exception: unknown): 'write' | 'delete' | null {
  const e = exception as { code?: unknown; message?: unknown; driverError?: { code?: unknown; message?: unknown } };
  const driver = e?.driverError ?? (exception instanceof Error ? e : undefined);
  if (driver?.code !== '23503') return null;
  return /^update or delete on table/.test(String(driver.message)) ? 'delete' : 'write';
}

/**
 * The answer to a database error that is the caller's business: a moment of unavailability,
 * or a constraint that held against a concurrent request. Null for any other error.
 */
function databaseErrorBody(exception: unknown): Omit<ErrorResponseDto, 'requestId'> | null {
  if (databaseUnavailable(exception)) {
    return {
      statusCode: 503,
      error: 'The database is unavailable for a moment; retry the request',
      code: 'DATABASE_UNAVAILABLE',
    };
  }
  // A uniqueness check that lost a race with a concurrent request: the database's constraint
  // held, and the caller gets the conflict it would have got a moment later.
  if (uniqueViolation(exception)) {
    return {
      statusCode: 409,
      error: 'Conflicts with an existing record (created at the same moment?): change the name and retry',
      code: 'ALREADY_EXISTS',
    };
  }
  // The same race with a reference: a service found the row it refers to, and a concurrent
  // request deleted it before the write (or added a reference before a delete).
  switch (foreignKeyViolation(exception)) {
    case 'write':
      return {
        statusCode: 404,
        error: 'A record this request refers to no longer exists (deleted at the same moment?): check its id',
        code: 'REFERENCE_NOT_FOUND',
      };
    case 'delete':
      return {
        statusCode: 409,
        error: 'Other records still refer to this one (added at the same moment?): retry the request',
        code: 'STILL_REFERENCED',
      };
    default:
      return null;
  }
}

/**
 * An outcome the code decided on purpose, with a status and a message written for the caller:
 * our domain errors and Nest's HTTP exceptions, whatever their status (503 LLM_NOT_CONFIGURED,
 * 502 LLM_UNREACHABLE are answers, not failures of the server). Anything else that ends in a
 * 5xx is unexpected.
 */
function expectedOutcome(exception: unknown): boolean {
  return (
    exception instanceof DomainError || exception instanceof HttpException || exception instanceof SafeNetworkError
  );
}

/**
 * Turns every error into the one error body of the API. Only messages we wrote reach the
 * caller: driver errors, stacks and unexpected exceptions become a generic 500 and are logged
 * as errors with their stack; every other answer is logged at warn, without one.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request & { requestId?: string }>();
    const res = http.getResponse<Response>();
    const body = this.toBody(exception, req.requestId ?? 'unknown');

    if (body.statusCode >= 500 && !expectedOutcome(exception)) {
      this.logger.error(
        { requestId: body.requestId, method: req.method, path: req.path, err: exception },
        'Unhandled error',
      );
    } else {
      // An answer we chose (no LLM configured, a refused address, a bad field): worth a line for
      // operators, but no stack, which would only point at the code that decided it.
      this.logger.warn(
        {
          requestId: body.requestId,
          method: req.method,
          path: req.path,
          statusCode: body.statusCode,
          code: body.code,
        },
        body.error,
      );
    }
    if (exception instanceof TooManyRequestsError) {
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(exception.retryAfterSeconds))));
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, requestId: string): ErrorResponseDto {
    if (exception instanceof DomainError) {
      return {
        statusCode: exception.status,
        error: exception.message,
        code: exception.code,
        ...(exception.details ? { details: exception.details } : {}),
        requestId,
      };
    }
    // The safe-network guard's refusal reaches here from any route that opens a connection
    // (schema, execute, sync...): the caller's configuration, answered as the probes answer it.
    if (exception instanceof SafeNetworkError) {
      return { statusCode: 422, error: exception.message, code: exception.code, requestId };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // Express's adapter wraps body-parser errors (http-errors) in an HttpException; the type of
      // the original says what was wrong with the body.
      const cause = exception.cause as HttpLikeError | undefined;
      if (typeof cause?.type === 'string' && status >= 400 && status < 500) {
        return this.bodyParserError(status, cause.type, requestId);
      }
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : typeof (response as { message?: unknown }).message === 'string'
            ? (response as { message: string }).message
            : exception.message;
      return { statusCode: status, error: message, code: STATUS_CODES[status] ?? `HTTP_${status}`, requestId };
    }
    const database = databaseErrorBody(exception);
    if (database) return { ...database, requestId };
    const httpLike = exception as HttpLikeError | undefined;
    const status = httpLike?.status ?? httpLike?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && httpLike?.expose !== false) {
      return this.bodyParserError(status, httpLike?.type, requestId);
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal server error; quote the request id when reporting it',
      code: 'INTERNAL_ERROR',
      requestId,
    };
  }

  private bodyParserError(status: number, type: string | undefined, requestId: string): ErrorResponseDto {
    switch (type) {
      case 'entity.too.large':
        return { statusCode: 413, error: 'Request body is too large', code: 'PAYLOAD_TOO_LARGE', requestId };
      case 'entity.too.deep':
        return {
          statusCode: 400,
          error: 'Request body is nested too deeply: flatten the JSON (see JSON_MAX_DEPTH)',
          code: 'JSON_TOO_DEEP',
          requestId,
        };
      case 'entity.too.wide':
        return {
          statusCode: 400,
          error: `An object in the request body has more than ${JSON_MAX_MEMBERS} members`,
          code: 'JSON_TOO_WIDE',
          requestId,
        };
      case 'entity.too.many':
        return {
          statusCode: 400,
          error: `The request body holds more than ${JSON_MAX_VALUES.toLocaleString('en')} values (array items and object members)`,
          code: 'JSON_TOO_MANY_VALUES',
          requestId,
        };
      case 'entity.nul.byte':
      case 'url.nul.byte':
        return {
          statusCode: 400,
          error: 'Text may not contain NUL characters (\\u0000 or %00)',
          code: 'NUL_CHARACTER',
          requestId,
        };
      case 'entity.parse.failed':
        return { statusCode: 400, error: 'Request body is not valid JSON', code: 'INVALID_JSON', requestId };
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return { statusCode: 415, error: 'Unsupported request encoding', code: 'UNSUPPORTED_MEDIA_TYPE', requestId };
      default:
        return { statusCode: status, error: 'Bad request', code: STATUS_CODES[status] ?? `HTTP_${status}`, requestId };
    }
  }
}
