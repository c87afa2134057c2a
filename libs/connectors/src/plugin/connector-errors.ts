import { FieldProblem, UnprocessableError, ValidationFailedError } from '@sluice/core';

/** Bad `config` or `authConfig`: 400 with one entry per field, e.g. `config.port`. */
export class ConnectorConfigError extends ValidationFailedError {
  constructor(details: FieldProblem[]) {
    super(details, 'Connector configuration is invalid');
  }
}

/**
 * The source refused or failed a request in a way the caller can act on (SQL error, missing
 * file): 422 with a message safe to show (no credentials, no driver stack).
 */
export class ConnectorRequestError extends UnprocessableError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}
