import { ConnectorConfigError } from '../../plugin/connector-errors';
import type { JsonSchema } from '../../plugin/connector-plugin';

export type PaginationType = 'none' | 'page' | 'offset' | 'cursor' | 'link';
export type AuthType = 'none' | 'bearer' | 'basic' | 'api_key_header' | 'api_key_query';

export interface Pagination {
  type: PaginationType;
  /** page: the page number parameter, its first value, and the page size parameter. */
  pageParam: string;
  startPage: number;
  sizeParam: string;
  /** page and offset: records asked per page; fewer back means the last page. */
  pageSize: number;
  /** offset: the offset and limit parameters. */
  offsetParam: string;
  limitParam: string;
  /** cursor: where the next cursor sits in the answer, and the parameter that sends it back. */
  cursorPath: string;
  cursorParam: string;
}

/** Configuration of a REST API connector, secrets included (never leaves the server). */
export interface RestApiConfig {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** POST only: the JSON body sent with every page. */
  body?: unknown;
  authType: AuthType;
  /** api_key_header / api_key_query: the header or query parameter carrying the key. */
  apiKeyName: string;
  pagination: Pagination;
  recordsPath?: string;
  idField?: string;
  maxPages: number;
  maxRecords: number;
  maxResponseBytes: number;
  maxRetries: number;
  /** Secrets, from authConfig. */
  token?: string;
  username?: string;
  password?: string;
  apiKey?: string;
}

export const DEFAULT_MAX_PAGES = 100;
export const DEFAULT_MAX_RECORDS = 100_000;
export const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_PAGE_SIZE = 100;

/** Headers the platform sets itself, or that carry credentials (those belong in authConfig). */
const RESERVED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
]);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const PARAM_NAME = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.\\[\\]-]+$' };
const DOTTED_PATH = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^.]+(\\.[^.]+)*$' };

export const REST_API_CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: {
      type: 'string',
      minLength: 8,
      maxLength: 2048,
      description: 'http(s) URL of the endpoint that lists the records',
    },
    method: { type: 'string', enum: ['GET', 'POST'], default: 'GET', description: 'HTTP method of each page request' },
    headers: {
      type: 'object',
      maxProperties: 50,
      additionalProperties: { type: 'string', maxLength: 4096 },
      description: 'Extra request headers (not secret: credentials go in authConfig), e.g. {"Accept-Language": "en"}',
    },
    body: { description: 'POST only: the JSON body sent with every page request' },
    authType: {
      type: 'string',
      enum: ['none', 'bearer', 'basic', 'api_key_header', 'api_key_query'],
      default: 'none',
      description:
        'bearer: authConfig.token; basic: authConfig.username and password; api_key_header / api_key_query: authConfig.apiKey in the header or query parameter apiKeyName',
    },
    apiKeyName: {
      ...PARAM_NAME,
      description: 'Header or query parameter carrying the API key, e.g. X-Api-Key or api_key',
    },
    pagination: {
      type: 'object',
      additionalProperties: false,
      description: 'How the records are paged; all parameters go in the query string',
      properties: {
        type: { type: 'string', enum: ['none', 'page', 'offset', 'cursor', 'link'], default: 'none' },
        pageParam: { ...PARAM_NAME, default: 'page' },
        startPage: { type: 'integer', minimum: 0, maximum: 1, default: 1 },
        sizeParam: { ...PARAM_NAME, default: 'per_page' },
        pageSize: { type: 'integer', minimum: 1, maximum: 10_000, default: DEFAULT_PAGE_SIZE },
        offsetParam: { ...PARAM_NAME, default: 'offset' },
        limitParam: { ...PARAM_NAME, default: 'limit' },
        cursorPath: { ...DOTTED_PATH, description: 'Dotted path of the next cursor in the answer, e.g. meta.next' },
        cursorParam: { ...PARAM_NAME, default: 'cursor' },
      },
    },
    recordsPath: { ...DOTTED_PATH, description: 'Dotted path of the records array in the answer, e.g. data.items' },
    idField: { ...DOTTED_PATH, description: 'Field (dotted path) with a stable id per record; without it, a hash' },
    maxPages: { type: 'integer', minimum: 1, maximum: 10_000, default: DEFAULT_MAX_PAGES },
    maxRecords: { type: 'integer', minimum: 1, maximum: 1_000_000, default: DEFAULT_MAX_RECORDS },
    maxResponseBytes: {
      type: 'integer',
      minimum: 1_024,
      maximum: 1_073_741_824,
      description: 'Bytes one answer may carry (at most HTTP_RESPONSE_MAX_BYTES, its default)',
    },
    maxRetries: { type: 'integer', minimum: 0, maximum: 10, default: DEFAULT_MAX_RETRIES },
  },
};

export const REST_API_AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    token: { type: 'string', minLength: 1, maxLength: 8192, description: 'Bearer token (authType bearer)' },
    username: { type: 'string', minLength: 1, maxLength: 512, description: 'User name (authType basic)' },
    password: { type: 'string', maxLength: 1024, description: 'Password (authType basic)' },
    apiKey: { type: 'string', minLength: 1, maxLength: 8192, description: 'API key (authType api_key_*)' },
  },
};

const problem = (field: string, message: string): ConnectorConfigError =>
  new ConnectorConfigError([{ field, messages: [message] }]);

function integer(value: unknown, fallback: number, field: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw problem(`config.${field}`, `must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

function name(value: unknown, fallback: string, field: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.[\]-]{1,100}$/.test(value)) {
    throw problem(`config.${field}`, 'must be a parameter name of letters, digits, _ . - [ ]');
  }
  return value;
}

function path(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 200 || value.split('.').some((part) => part === '')) {
    throw problem(`config.${field}`, 'must be a dotted path such as data.items');
  }
  return value;
}

function parseUrl(value: unknown): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw problem('config.url', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw problem('config.url', 'must use http or https');
  if (url.username || url.password) {
    throw problem('config.url', 'must not carry credentials; put them in authConfig (authType basic)');
  }
  return url.toString();
}

function parseHeaders(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw problem('config.headers', 'must be an object of header names to values');
  }
  for (const [key, header] of Object.entries(value)) {
    if (!HEADER_NAME.test(key)) throw problem('config.headers', `"${key.slice(0, 100)}" is not a valid header name`);
    if (RESERVED_HEADERS.has(key.toLowerCase())) {
      throw problem('config.headers', `"${key}" cannot be set here; credentials go in authConfig (see authType)`);
    }
    if (typeof header !== 'string' || /[\r\n\0]/.test(header)) {
      throw problem('config.headers', `the value of "${key}" must be text on one line`);
    }
  }
  return value as Record<string, string>;
}

function parsePagination(value: unknown): Pagination {
  const given = (value ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given)) throw problem('config.pagination', 'must be an object');
  const type = (given.type ?? 'none') as PaginationType;
  if (!['none', 'page', 'offset', 'cursor', 'link'].includes(type)) {
    throw problem('config.pagination.type', 'must be one of none, page, offset, cursor, link');
  }
  const cursorPath = path(given.cursorPath, 'pagination.cursorPath');
  if (type === 'cursor' && !cursorPath) {
    throw problem('config.pagination.cursorPath', 'is required for cursor pagination (where the next cursor sits)');
  }
  return {
    type,
    pageParam: name(given.pageParam, 'page', 'pagination.pageParam'),
    startPage: integer(given.startPage, 1, 'pagination.startPage', 0, 1),
    sizeParam: name(given.sizeParam, 'per_page', 'pagination.sizeParam'),
    pageSize: integer(given.pageSize, DEFAULT_PAGE_SIZE, 'pagination.pageSize', 1, 10_000),
    offsetParam: name(given.offsetParam, 'offset', 'pagination.offsetParam'),
    limitParam: name(given.limitParam, 'limit', 'pagination.limitParam'),
    cursorPath: cursorPath ?? '',
    cursorParam: name(given.cursorParam, 'cursor', 'pagination.cursorParam'),
  };
}

function secret(auth: Record<string, unknown>, key: string, authType: AuthType): string {
  const value = auth[key];
  if (typeof value !== 'string' || (key !== 'password' && value.length === 0)) {
    throw problem(`authConfig.${key}`, `is required for authType ${authType}`);
  }
  return value;
}

/** Checks and completes a REST API configuration; `maxBytesCap` is HTTP_RESPONSE_MAX_BYTES. */
export function parseRestApiConfig(
  config: Record<string, unknown>,
  auth: Record<string, unknown>,
  maxBytesCap: number,
): RestApiConfig {
  const method = (config.method ?? 'GET') as RestApiConfig['method'];
  if (method !== 'GET' && method !== 'POST') throw problem('config.method', 'must be GET or POST');
  if (config.body !== undefined && method !== 'POST') throw problem('config.body', 'is only sent with method POST');
  const authType = (config.authType ?? 'none') as AuthType;
  if (!['none', 'bearer', 'basic', 'api_key_header', 'api_key_query'].includes(authType)) {
    throw problem('config.authType', 'must be one of none, bearer, basic, api_key_header, api_key_query');
  }
  const apiKeyName = name(config.apiKeyName, authType === 'api_key_query' ? 'api_key' : 'X-Api-Key', 'apiKeyName');
  if (authType === 'api_key_header' && RESERVED_HEADERS.has(apiKeyName.toLowerCase())) {
    throw problem('config.apiKeyName', `"${apiKeyName}" cannot carry an API key; use authType bearer or basic`);
  }
  const parsed: RestApiConfig = {
    url: parseUrl(config.url),
    method,
    headers: parseHeaders(config.headers),
    ...(config.body !== undefined ? { body: config.body } : {}),
    authType,
    apiKeyName,
    pagination: parsePagination(config.pagination),
    recordsPath: path(config.recordsPath, 'recordsPath'),
    idField: path(config.idField, 'idField'),
    maxPages: integer(config.maxPages, DEFAULT_MAX_PAGES, 'maxPages', 1, 10_000),
    maxRecords: integer(config.maxRecords, DEFAULT_MAX_RECORDS, 'maxRecords', 1, 1_000_000),
    maxResponseBytes: integer(config.maxResponseBytes, maxBytesCap, 'maxResponseBytes', 1_024, maxBytesCap),
    maxRetries: integer(config.maxRetries, DEFAULT_MAX_RETRIES, 'maxRetries', 0, 10),
  };
  if (authType === 'bearer') parsed.token = secret(auth, 'token', authType);
  if (authType === 'basic') {
    parsed.username = secret(auth, 'username', authType);
    parsed.password = secret(auth, 'password', authType);
  }
  if (authType === 'api_key_header' || authType === 'api_key_query') parsed.apiKey = secret(auth, 'apiKey', authType);
  return parsed;
}
