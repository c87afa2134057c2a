import type { OpenAPIObject } from '@nestjs/swagger';
import { NOT_RATE_LIMITED_EXTENSION } from '../throttling/not-rate-limited.decorator';

/** Marks an operation open to anonymous callers; the document gives it `security: []` (see Public). */
export const PUBLIC_EXTENSION = 'x-sluice-public';

/** Marks an operation that never reads the metadata database, so never answers 503 DATABASE_UNAVAILABLE. */
export const WITHOUT_DATABASE_EXTENSION = 'x-sluice-without-database';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const ERROR_REF = '#/components/schemas/ErrorResponseDto';
/** The example of a date-time field that has none of its own. */
const EXAMPLE_DATE_TIME = '2026-01-15T09:30:00.000Z';

/** The code the exception filter gives a status when the error names none (all-exceptions.filter.ts). */
const DEFAULT_CODES: Record<string, string> = {
  '400': 'VALIDATION_FAILED',
  '401': 'UNAUTHORIZED',
  '403': 'FORBIDDEN',
  '404': 'NOT_FOUND',
  '409': 'CONFLICT',
  '413': 'PAYLOAD_TOO_LARGE',
  '415': 'UNSUPPORTED_MEDIA_TYPE',
  '422': 'UNPROCESSABLE',
  '429': 'RATE_LIMITED',
  '502': 'BAD_GATEWAY',
  '503': 'SERVICE_UNAVAILABLE',
  '504': 'GATEWAY_TIMEOUT',
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is plain JSON, walked key by key
type Json = Record<string, any>;

/**
 * What the decorators leave for the document as a whole, done once here instead of per route:
 * public routes say `security: []`; the errors every route of a kind can give are listed (the 400
 * of a malformed X-Tenant-Id on secured routes, the general 429, the 503 of a lost database);
 * error answers are JSON (also on routes that stream events, whose refusals come before the
 * stream opens) with an example of their own status; JSON bodies carry an example composed from
 * their fields' examples.
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Json>;
  for (const schema of Object.values(schemas)) enumsAdmitNull(schema);
  for (const item of Object.values(document.paths) as Json[]) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      if (op[PUBLIC_EXTENSION]) op.security = [];
      // The authentication guard reads X-Tenant-Id (a global parameter) on every secured route.
      else if (op.security?.length) addError(op, '400', 'INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id');
      // The general rate limit (RATE_LIMIT_PER_MINUTE per address) guards every route not marked otherwise.
      if (!op[NOT_RATE_LIMITED_EXTENSION])
        addError(op, '429', 'RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address');
      // The exception filter turns a lost database connection into 503 on any route that reads it.
      if (!op[WITHOUT_DATABASE_EXTENSION])
        addError(op, '503', 'DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry');
      for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Json>))
        completeResponse(status, response, schemas);
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>))
        if (type.includes('json') && media.schema && media.example === undefined && !media.examples)
          media.example = exampleOf(media.schema, schemas);
    }
  }
  return document;
}

/** Documents an error answer the route does not list yet (one it lists keeps its own description). */
function addError(op: Json, status: string, description: string): void {
  if (op.responses?.[status]) return;
  op.responses = {
    ...op.responses,
    [status]: { description, content: { 'application/json': { schema: { $ref: ERROR_REF } } } },
  };
}

/**
 * OpenAPI 3.0.3: `nullable` does not widen an `enum`, so a nullable enum lists null itself, or
 * validators (and the document's own examples) refuse the null the API sends.
 */
function enumsAdmitNull(schema: Json): void {
  if (schema.nullable && Array.isArray(schema.enum) && !schema.enum.includes(null))
    schema.enum = [...(schema.enum as unknown[]), null];
  for (const property of Object.values((schema.properties ?? {}) as Record<string, Json>)) enumsAdmitNull(property);
  if (schema.items) enumsAdmitNull(schema.items as Json);
}

function completeResponse(status: string, response: Json, schemas: Record<string, Json>): void {
  const content = response.content as Record<string, Json> | undefined;
  if (!content) return;
  const error = Object.values(content).find((media) => media.schema?.$ref === ERROR_REF);
  if (error) {
    response.content = { 'application/json': { schema: error.schema, example: errorExample(status, response) } };
    return;
  }
  for (const [type, media] of Object.entries(content))
    if (type.includes('json') && media.schema && media.example === undefined && !media.examples)
      media.example = exampleOf(media.schema, schemas);
}

/** An error body of this status; a description that starts with a code (`TOO_MANY_STREAMS: ...`) names it. */
function errorExample(status: string, response: Json): Json {
  const description = String(response.description ?? '');
  const named = /^([A-Z][A-Z0-9_]{2,})\b/.exec(description) ?? /\(([A-Z][A-Z0-9_]{2,})\)/.exec(description);
  return {
    statusCode: Number(status),
    error: description.replace(/^[A-Z][A-Z0-9_]{2,}:\s*/, '') || 'See the code',
    code: named?.[1] ?? DEFAULT_CODES[status] ?? `HTTP_${status}`,
    requestId: 'req_9x2kq1c8v0a7',
  };
}

/**
 * An example of a schema from what it documents: its own example, an enum's first value, a default,
 * or its parts' examples. Optional fields without any are left out; a required one without any stays
 * undefined, which makes the example invalid and the document's own test fail.
 */
export function exampleOf(schema: Json, schemas: Record<string, Json>, seen: string[] = []): unknown {
  if (schema.$ref) {
    const name = String(schema.$ref).replace('#/components/schemas/', '');
    if (seen.includes(name)) return undefined;
    const target = schemas[name];
    return target ? exampleOf(target, schemas, [...seen, name]) : undefined;
  }
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const)
    if (Array.isArray(schema[key])) {
      const parts = (schema[key] as Json[]).map((part) => exampleOf(part, schemas, seen));
      if (key !== 'allOf') return parts.find((part) => part !== undefined);
      return Object.assign({}, ...parts.filter((part) => typeof part === 'object' && part !== null));
    }
  if (schema.type === 'array') {
    const item = schema.items ? exampleOf(schema.items as Json, schemas, seen) : undefined;
    return item === undefined ? [] : [item];
  }
  if (schema.properties) {
    const required = new Set<string>((schema.required as string[] | undefined) ?? []);
    const out: Json = {};
    for (const [key, property] of Object.entries(schema.properties as Record<string, Json>)) {
      const value = exampleOf(property, schemas, seen);
      if (value !== undefined) out[key] = value;
      else if (required.has(key) && property.nullable) out[key] = null;
    }
    return out;
  }
  if (schema.format === 'date-time') return EXAMPLE_DATE_TIME;
  if (schema.type === 'object') return {};
  if (schema.nullable) return null;
  return undefined;
}
