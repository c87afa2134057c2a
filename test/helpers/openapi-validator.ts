import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const DOCUMENT_ID = 'openapi';

/**
 * Statuses the server gives before a route runs (the body parser, the HTTP parser, a client that is
 * too slow), so on any route. They are not listed per operation; their body must still be the error
 * body of the document.
 */
export const TRANSPORT_STATUSES: ReadonlySet<number> = new Set([408, 413, 415, 431]);

export interface ResponseToCheck {
  method: string;
  /** The path as requested, query string allowed: `/api/v1/connectors/con_1?limit=5`. */
  path: string;
  status: number;
  contentType: string | null;
  /** The parsed JSON body, or the text when the answer is not JSON. */
  body: unknown;
}

interface Route {
  template: string;
  pattern: RegExp;
  params: number;
}

/**
 * Checks answers of the API against an OpenAPI 3.0 document: finds the operation a request
 * reached, the response its status documents, and validates a JSON body against that response's
 * schema (components resolved) with Ajv. A status the operation does not document is a problem
 * too. Requests to paths or methods the document does not describe are not checked.
 */
export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: Json) {
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI's format of a file upload: any bytes.
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: toJsonSchema(document.components ?? {}) });
    this.routes = Object.keys(document.paths as Json)
      .map((template) => {
        const parts = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
        return { template, pattern: new RegExp(`^${parts.join('([^/]+)')}$`), params: parts.length - 1 };
      })
      // A literal segment wins over a parameter: /connectors/test-connection before /connectors/{id}.
      .sort((a, b) => a.params - b.params);
  }

  /** The committed openapi.json of this repository. */
  static fromCommittedDocument(): OpenApiValidator {
    const file = join(__dirname, '..', '..', 'openapi.json');
    return new OpenApiValidator(JSON.parse(readFileSync(file, 'utf8')) as Json);
  }

  /** The operation a request reaches: `{ template, operation }`, or undefined when undocumented. */
  operationFor(method: string, path: string): { template: string; operation: Json } | undefined {
    const pathname = path.split('?')[0].split('#')[0];
    const verb = method.toLowerCase();
    for (const route of this.routes) {
      if (!route.pattern.test(pathname)) continue;
      const operation = (this.document.paths as Json)[route.template][verb] as Json | undefined;
      if (operation && METHODS.includes(verb)) return { template: route.template, operation };
    }
    return undefined;
  }

  /** What is wrong with an answer, one line each; empty when it matches the document. */
  problems(response: ResponseToCheck): string[] {
    const found = this.operationFor(response.method, response.path);
    if (!found) return [];
    const { operation } = found;
    const documented = (operation.responses ?? {}) as Record<string, Json>;
    const key = [String(response.status), `${String(response.status)[0]}XX`, 'default'].find((k) => documented[k]);
    const jsonAnswer = /\bjson\b/.test(response.contentType ?? '');
    let schema: Json | undefined;
    if (key) {
      const content = (documented[key].content ?? {}) as Record<string, Json>;
      const types = Object.keys(content);
      if (!types.length) {
        if (jsonAnswer && response.body !== '' && response.body !== undefined)
          return [`status ${response.status} is documented without a body, but the answer has a JSON body`];
        return [];
      }
      const jsonType = types.find((type) => /\bjson\b/.test(type));
      if (!jsonType) return [];
      if (!jsonAnswer) return [`answered ${response.contentType ?? 'without a content type'}, documented ${jsonType}`];
      schema = content[jsonType].schema as Json | undefined;
    } else if (TRANSPORT_STATUSES.has(response.status) && jsonAnswer) {
      schema = { $ref: '#/components/schemas/ErrorResponseDto' };
    } else {
      return [
        `status ${response.status} is not documented (documented: ${Object.keys(documented).join(', ') || 'none'})`,
      ];
    }
    if (!schema) return [];
    const validate = this.compile(schema);
    if (validate(response.body)) return [];
    return (validate.errors ?? []).map(
      (error) => `${error.instancePath || '(body)'} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)}`,
    );
  }

  /** Throws when the answer does not match the document, naming the operation, status and problems. */
  assertMatches(response: ResponseToCheck): void {
    const problems = this.problems(response);
    if (!problems.length) return;
    const found = this.operationFor(response.method, response.path);
    const name = `${String(found?.operation.operationId)} (${response.method.toUpperCase()} ${found?.template})`;
    throw new Error(
      `The answer of ${name} does not match openapi.json: status ${response.status}\n` +
        `${problems.map((problem) => `  - ${problem}`).join('\n')}\n` +
        `  body: ${JSON.stringify(response.body).slice(0, 2000)}`,
    );
  }

  /** Validates a value against a schema of the document (its refs resolve to the components). */
  validateSchema(schema: Json, value: unknown): string[] {
    const validate = this.compile(schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (error) => `${error.instancePath || '(value)'} ${error.message ?? 'is invalid'}`,
    );
  }

  private compile(schema: Json): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(toJsonSchema(schema) as Json));
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

/** Local refs of a schema outside the document point into the document added to Ajv. */
function rebase(schema: Json): Json {
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${DOCUMENT_ID}${value}` : value,
    ),
  ) as Json;
}

/**
 * OpenAPI 3.0 schema objects as JSON Schema: `nullable` becomes a `null` type (or an alternative
 * beside a `$ref`/composition, where OpenAPI allows it without a type).
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) out[key] = key === 'example' ? value : toJsonSchema(value);
  if (out.nullable !== true) return out;
  delete out.nullable;
  // Beside a $ref or a composition the null is an alternative: the composition itself refuses it.
  const composed = ['$ref', 'allOf', 'oneOf', 'anyOf'].some((key) => key in out);
  if (typeof out.type === 'string' && !composed) {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  return { anyOf: [out, { type: 'null' }] };
}
