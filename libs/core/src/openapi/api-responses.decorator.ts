import { applyDecorators, Type } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../errors/error-response.dto';

/** The error statuses the API answers with (ARCHITECTURE.md, "HTTP API"), all with the one error body. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 502 | 503 | 504;

/** A status alone, or statuses with what they mean on this route (`{ 409: 'Name already used' }`). */
export type ErrorSpec = ErrorStatus | Partial<Record<ErrorStatus, string>>;

type RouteDecorator = MethodDecorator & ClassDecorator;

/**
 * The error answers of a route, each documented with ErrorResponseDto: `@ApiErrors(400, 404,
 * { 409: 'Managed connector' })`. A status given twice keeps its last description, so a shape
 * below can be told what its standard statuses mean on one route.
 */
export function ApiErrors(...specs: ErrorSpec[]): RouteDecorator {
  const descriptions = new Map<ErrorStatus, string | undefined>();
  for (const spec of specs) {
    if (typeof spec === 'number') {
      if (!descriptions.has(spec)) descriptions.set(spec, undefined);
      continue;
    }
    for (const [status, description] of Object.entries(spec))
      descriptions.set(Number(status) as ErrorStatus, description);
  }
  return applyDecorators(
    ...[...descriptions].map(([status, description]) =>
      ApiResponse({ status, type: ErrorResponseDto, ...(description === undefined ? {} : { description }) }),
    ),
  );
}

/** A list (one page): the page, and the errors given (a bad filter or cursor, a missing parent). */
export const ApiPage = (type: Type, ...errors: ErrorSpec[]): RouteDecorator =>
  applyDecorators(ApiOkResponse({ type }), ApiErrors(...errors));

/** A read of what the path's id names: the body, or 404 (missing, or another tenant's). */
export const ApiReadById = (type: Type, ...errors: ErrorSpec[]): RouteDecorator =>
  applyDecorators(ApiOkResponse({ type }), ApiErrors(404, ...errors));

/** A creation: 201 with what was created, 400 for an invalid body. */
export const ApiCreate = (type: Type, ...errors: ErrorSpec[]): RouteDecorator =>
  applyDecorators(ApiCreatedResponse({ type }), ApiErrors(400, ...errors));

/** A change of what the path's id names: the changed resource, 400 for an invalid body, 404. */
export const ApiUpdateById = (type: Type, ...errors: ErrorSpec[]): RouteDecorator =>
  applyDecorators(ApiOkResponse({ type }), ApiErrors(400, 404, ...errors));

/** A deletion of what the path's id names: 204, or 404. */
export const ApiDeleteById = (...errors: ErrorSpec[]): RouteDecorator =>
  applyDecorators(ApiNoContentResponse({ description: 'Deleted' }), ApiErrors(404, ...errors));
