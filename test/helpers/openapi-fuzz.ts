import fc from 'fast-check';

/** An operation of the OpenAPI document, with what the fuzzer needs to call it. */
export interface Operation {
  method: string;
  path: string;
  operationId: string;
  pathParams: string[];
  queryParams: string[];
  /** The JSON body's schema, `$ref`s resolved one level at a time by {@link resolveSchema}. */
  bodySchema?: Schema;
  /** The route takes a raw body (an upload) rather than JSON. */
  rawBody: boolean;
}

export type Schema = Record<string, any>;

/** A request the fuzzer sends: the path with its parameters filled in, headers and body. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** What was mutated, printed when the answer is wrong. */
  label: string;
}

/** Every operation of the document. */
export function operations(spec: any): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<any>(spec.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const params: any[] = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodySchema: content['application/json']?.schema,
        rawBody: !content['application/json'] && Object.keys(content).length > 0,
      });
    }
  }
  return out;
}

export function resolveSchema(spec: any, schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++) s = spec.components.schemas[s.$ref.split('/').pop()];
  if (s?.allOf?.length === 1) return resolveSchema(spec, s.allOf[0]);
  return s;
}

/** A plausible value for a schema: its example, else something of its type. */
export function plausible(spec: any, schema: Schema | undefined, depth = 0): unknown {
  const s = resolveSchema(spec, schema);
  if (!s || depth > 4) return null;
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  switch (s.type) {
    case 'string':
      return s.format === 'uuid' ? '00000000-0000-4000-8000-000000000000' : 'text';
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [plausible(spec, s.items, depth + 1)];
    default: {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries<any>(s.properties ?? {})) obj[k] = plausible(spec, v, depth + 1);
      return obj;
    }
  }
}

const CONTROL = '\u0000\u0001\u0007\u001b\u007f\u202e\ud83d\ude00\ufeff';

/** Values of the wrong kind for any field: types, sizes and characters a client should never send. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    1e308,
    -Number.MAX_SAFE_INTEGER * 4,
    '',
    ' ',
    'NaN',
    '__proto__',
    '../../../../etc/passwd',
    `${CONTROL}${CONTROL}`,
    'x'.repeat(200_000),
    [],
    {},
    { $ne: null },
    JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'),
    Array.from({ length: 20_000 }, (_, i) => i),
  ),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
  fc.double({ noNaN: false }),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
);

/** Path segments that are not the id a route expects, or are another tenant's. */
export function idArbitrary(foreignIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      '0',
      '-1',
      'null',
      'undefined',
      '..',
      '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '%00',
      'x'.repeat(3000),
      '00000000-0000-0000-0000-000000000000',
      "1' OR '1'='1",
      ...foreignIds,
    ),
    fc.uuid().map((u) => u),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((s) => encodeURIComponent(s)),
  );
}

/** Query values: negative and huge limits, forged and truncated cursors, junk. */
export const queryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    '101',
    '501',
    '99999999999999999999',
    '1e309',
    'NaN',
    'true',
    '[]',
    '{}',
    'eyJ0IjoxfQ',
    'eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMFoiLCJpZCI6IngifQ',
    Buffer.from('{"createdAt":"x","id":"\' OR 1=1 --"}').toString('base64url'),
    'e'.repeat(5000),
    '%00',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map(String),
);

/** A JSON value nested `depth` levels deep, as text (JSON.stringify would overflow first). */
export function deepJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** One bad request for `op`: bad ids, bad query values, or a body mutated one way or another. */
export function badRequestArbitrary(
  spec: any,
  op: Operation,
  ids: Record<string, string>,
  foreignIds: string[],
): fc.Arbitrary<FuzzRequest> {
  const pathParams = fc.record(
    Object.fromEntries(
      op.pathParams.map((p) => [
        p,
        fc.oneof({ weight: 1, arbitrary: fc.constant(ids[p] ?? 'x') }, idArbitrary(foreignIds)),
      ]),
    ),
  ) as fc.Arbitrary<Record<string, string>>;
  const query = fc.dictionary(
    fc.oneof(
      fc.constantFrom(...op.queryParams, 'limit', 'cursor', 'unknown', '__proto__'),
      fc.string({ maxLength: 6 }),
    ),
    queryValue,
    { maxKeys: 3 },
  );
  const base = plausible(spec, op.bodySchema);
  const bodySchema = resolveSchema(spec, op.bodySchema);
  const keys = Object.keys(bodySchema?.properties ?? {});
  const body: fc.Arbitrary<{ text?: string | Buffer; type?: string; label: string }> = fc.oneof(
    // One field of the wrong kind (or a missing required one, or an extra one).
    fc.tuple(fc.constantFrom(...(keys.length ? keys : ['field']), 'extraField'), hostileValue).map(([k, v]) => ({
      text: JSON.stringify({ ...(base as object), [k]: v }),
      label: `body.${k}`,
    })),
    fc.constantFrom(...(keys.length ? keys : ['field'])).map((k) => {
      const copy: Record<string, unknown> = { ...(base as object) };
      delete copy[k];
      return { text: JSON.stringify(copy), label: `body without ${k}` };
    }),
    hostileValue.map((v) => ({ text: JSON.stringify(v) ?? 'null', label: 'body is a bare value' })),
    fc.constantFrom(
      { text: deepJson(5000), label: 'body nested 5000 deep' },
      { text: '{"name": "trunc', label: 'truncated JSON' },
      { text: '{"a":1,}', label: 'malformed JSON' },
      { text: '\u0000\u0000', label: 'NUL bytes as JSON' },
      { text: 'name=x&role=admin', type: 'application/x-www-form-urlencoded', label: 'form body' },
      { text: '<a>1</a>', type: 'application/xml', label: 'XML body' },
      { text: JSON.stringify(base), type: 'text/plain', label: 'JSON sent as text/plain' },
      { text: Buffer.alloc(3_000_000, 0x61), label: 'body over the size limit' },
    ),
  );
  return fc.tuple(pathParams, query, body).map(([params, q, b]) => {
    let path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name]);
    const qs = new URLSearchParams(q).toString();
    if (qs) path += `?${qs}`;
    const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
    const headers: Record<string, string> = {};
    if (hasBody) headers['content-type'] = b.type ?? (op.rawBody ? 'application/octet-stream' : 'application/json');
    return {
      method: op.method,
      path,
      headers,
      body: hasBody ? b.text : undefined,
      label: `${op.method} ${op.path} [${hasBody ? b.label : 'no body'}; query ${qs.slice(0, 80)}]`,
    };
  });
}

/** Text that must never reach a client: stack frames, driver and ORM internals. */
export const LEAK_PATTERNS: RegExp[] = [
  /\bat \S+ \((?:\/|node:)/,
  /node_modules/,
  /QueryFailedError|EntityNotFound|TypeORMError/,
  /\bER_[A-Z_]{3,}\b/,
  /SQLITE_(?:ERROR|BUSY|LOCKED|CONSTRAINT|CANTOPEN|CORRUPT|READONLY|IOERR|MISUSE|NOTADB|RANGE|SCHEMA|TOOBIG|MISMATCH|NOMEM|INTERRUPT|PERM|ABORT|AUTH)\b/,
  /syntax error at or near/,
];
