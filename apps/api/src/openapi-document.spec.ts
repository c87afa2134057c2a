import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenApiValidator } from '../../../test/helpers/openapi-validator';

/**
 * The committed openapi.json (`npm run openapi:check` keeps it what the code generates) describes
 * every operation completely. A route added without any of it fails here, naming the route.
 */
type Json = Record<string, any>;

const document = JSON.parse(readFileSync(join(__dirname, '../../../openapi.json'), 'utf8')) as Json;
const validator = new OpenApiValidator(document);
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const ERROR_REF = '#/components/schemas/ErrorResponseDto';
/** Probes: no input, no credentials, no rate limit, so no 4xx answer (see .redocly.lint-ignore.yaml). */
const PROBES = ['health_live', 'health_ready'];
/** Routes answering server-sent events. */
const EVENT_STREAMS = ['connectors_runEvents', 'nl2sql_queryStream'];

const operations: [string, Json][] = Object.entries(document.paths as Json).flatMap(([path, item]) =>
  METHODS.filter((method) => (item as Json)[method]).map((method): [string, Json] => [
    `${method.toUpperCase()} ${path}`,
    (item as Json)[method] as Json,
  ]),
);

/** A JSON media type has an example (or named examples), each valid against its schema. */
function exampleProblems(where: string, media: Json): string[] {
  if (media.example !== undefined && media.examples) return [`${where}: both example and examples`];
  const values =
    media.example !== undefined
      ? [media.example]
      : Object.values((media.examples ?? {}) as Record<string, Json>).map((example) => example.value);
  if (!values.length) return [`${where}: no example`];
  return values.flatMap((value) =>
    validator.validateSchema(media.schema as Json, value).map((error) => `${where} example: ${error}`),
  );
}

/** Every problem of one operation, so a failure lists them all. */
function problemsOf(op: Json): string[] {
  const problems: string[] = [];
  if (!op.summary?.trim()) problems.push('no summary');
  if (!op.description?.trim()) problems.push('no description');
  if (!op.tags?.length) problems.push('no tags');
  if (!/^[a-z][A-Za-z0-9]*_[a-z][A-Za-z0-9]*$/.test(op.operationId ?? ''))
    problems.push(`operationId ${op.operationId} is not <controller>_<action>`);
  if (!Array.isArray(op.security)) problems.push('no security declared');
  else if (op.security.length === 0 && !op['x-sluice-public']) problems.push('security [] but not marked @Public()');
  else if (op.security.length > 0 && !op['x-sluice-roles']?.length) problems.push('secured but no roles');

  for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>)) {
    if (!media.schema) problems.push(`request ${type}: no schema`);
    if (!type.includes('json')) continue;
    problems.push(...exampleProblems(`request ${type}`, media));
  }

  const responses = (op.responses ?? {}) as Record<string, Json>;
  const statuses = Object.keys(responses);
  if (!statuses.some((status) => /^2/.test(status))) problems.push('no 2xx answer');
  if (!PROBES.includes(op.operationId) && !statuses.some((status) => /^4/.test(status))) problems.push('no 4xx answer');
  if (op.security?.length) {
    if (!responses['401']) problems.push('secured, but 401 is not documented');
    if (!responses['403']) problems.push('secured, but 403 is not documented');
  }
  for (const [status, response] of Object.entries(responses)) {
    if (!response.description && !response.content) problems.push(`${status}: neither description nor content`);
    const content = (response.content ?? {}) as Record<string, Json>;
    if (/^[45]/.test(status)) {
      const json = content['application/json'];
      if (json?.schema?.$ref !== ERROR_REF || Object.keys(content).length !== 1)
        problems.push(`${status}: not the error body as application/json`);
      else if (json.example?.statusCode !== Number(status)) problems.push(`${status}: example of another status`);
      else
        for (const error of validator.validateSchema(json.schema as Json, json.example))
          problems.push(`${status}: ${error}`);
      continue;
    }
    for (const [type, media] of Object.entries(content)) {
      if (!media.schema) problems.push(`${status} ${type}: no schema`);
      if (!type.includes('json')) continue;
      problems.push(...exampleProblems(`${status} ${type}`, media));
    }
  }
  const streams = Object.values(responses).some((response) => response.content?.['text/event-stream']);
  if (EVENT_STREAMS.includes(op.operationId) !== streams)
    problems.push(
      streams ? 'answers text/event-stream but is not a known event stream' : 'no text/event-stream answer',
    );
  return problems;
}

describe('openapi.json', () => {
  it('is a valid OpenAPI 3 document', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('has a licence and a server', () => {
    expect(document.info.license?.name).toBeTruthy();
    expect(document.servers?.length).toBeGreaterThan(0);
  });

  it('has operationIds that are unique', () => {
    const ids = operations.map(([, op]) => op.operationId as string);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it.each(operations)('describes %s completely', (_route, op) => {
    expect(problemsOf(op)).toEqual([]);
  });

  it('would catch an operation missing its parts', () => {
    const [, sample] = operations.find(([route]) => route === 'GET /api/v1/connectors/{id}')!;
    const broken = structuredClone(sample);
    delete broken.description;
    delete broken.responses['401'];
    broken.responses['404'].content['application/json'].example.statusCode = 500;
    broken.responses['200'].content['application/json'].example.status = 'sleeping';
    expect(problemsOf(broken)).toEqual([
      'no description',
      'secured, but 401 is not documented',
      expect.stringContaining('200 application/json example: /status must be equal to one of the allowed values'),
      '404: example of another status',
    ]);
  });
});
