/** One problem with one input field, listed in `details` of a 400 answer. */
export interface FieldProblem {
  field: string;
  messages: string[];
}

/**
 * An error that means something to the caller. Services throw these; the exception filter
 * turns them into the error body of the API, with the status chosen by the subclass.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends DomainError {
  constructor(code: string, message: string, details?: unknown[]) {
    super(400, code, message, details);
  }
}

export class ValidationFailedError extends BadRequestError {
  constructor(details: FieldProblem[], message = 'Request validation failed') {
    super('VALIDATION_FAILED', message, details);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(code = 'UNAUTHORIZED', message = 'Authentication required') {
    super(401, code, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(code = 'FORBIDDEN', message = 'Your role does not allow this') {
    super(403, code, message);
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string) {
    super(404, code, message);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(code: string, message: string) {
    super(413, code, message);
  }
}

export class UnprocessableError extends DomainError {
  constructor(code: string, message: string, details?: unknown[]) {
    super(422, code, message, details);
  }
}

export class TooManyRequestsError extends DomainError {
  constructor(
    message: string,
    /** Seconds until a retry can succeed; sent as the Retry-After header. */
    readonly retryAfterSeconds: number,
    code = 'RATE_LIMITED',
  ) {
    super(429, code, message);
  }
}

export class ServiceUnavailableError extends DomainError {
  constructor(code: string, message: string) {
    super(503, code, message);
  }
}
