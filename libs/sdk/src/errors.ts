import type { components } from './generated/schema';

/** The error body every route answers with (see ErrorResponseDto in openapi.json). */
export type ErrorBody = components['schemas']['ErrorResponseDto'];

/** One field problem of a 400 answer. */
export interface FieldProblem {
  field: string;
  messages: string[];
}

/**
 * A refused request, as thrown by the throw-style helpers (`unwrap`, `paginate`, `events`, the
 * auth helpers): the HTTP status, the stable `code` to branch on, the message meant for people,
 * the field problems of a 400 and the request id to quote when asking for help.
 */
export class SluiceError extends Error {
  override readonly name = 'SluiceError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
    readonly requestId: string | undefined = undefined,
    /** The body as received (an object for the API's own errors, text from a proxy in between). */
    readonly body: unknown = undefined,
  ) {
    super(message);
  }

  /**
   * From an error answer: its parsed body when it has the API's shape, otherwise a code made from
   * the status (`HTTP_502`) and the text, so a proxy's HTML page still becomes a SluiceError.
   */
  static fromResponse(response: Response, body: unknown): SluiceError {
    const headerId = response.headers.get('x-request-id') ?? undefined;
    if (isErrorBody(body)) return SluiceError.fromBody(body, headerId);
    const text = typeof body === 'string' && body ? body.slice(0, 200) : response.statusText || 'Request failed';
    return new SluiceError(response.status, `HTTP_${response.status}`, text, [], headerId, body);
  }

  /** From an error body alone (the `error` event of a stream carries one). */
  static fromBody(body: ErrorBody, requestId?: string): SluiceError {
    return new SluiceError(
      body.statusCode,
      body.code,
      body.error,
      (body.details ?? []) as unknown as FieldProblem[],
      body.requestId ?? requestId,
      body,
    );
  }
}

export function isErrorBody(value: unknown): value is ErrorBody {
  const v = value as Partial<ErrorBody> | null;
  return typeof v === 'object' && v !== null && typeof v.statusCode === 'number' && typeof v.code === 'string';
}
