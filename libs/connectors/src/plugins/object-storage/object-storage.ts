import type { ResolvedAddress } from '@sluice/core';
import * as mime from 'mime-types';
import { Readable } from 'node:stream';
import { ConnectorConfigError, ConnectorRequestError } from '../../plugin/connector-errors';
import { assertByteRange } from '../../files/byte-range';
import type {
  ByteRange,
  ConnectorContext,
  DiscoveredItem,
  JsonSchema,
  ProbeOutcome,
} from '../../plugin/connector-plugin';

/** Items per batch handed to the sync, as for folders. */
export const OBJECT_BATCH_SIZE = 500;
export const DEFAULT_MAX_OBJECTS = 100_000;
/** Objects one probe lists at most: enough to tell empty from not, bounded in time. */
export const PROBE_PAGE_SIZE = 1000;

/** One object as a listing reports it, whatever the store. */
export interface ListedObject {
  /** The full key (object name), prefix included. */
  key: string;
  size: number;
  /** ETag (S3, Azure) or generation (GCS): changes whenever the bytes change. */
  checksum?: string;
  contentType?: string;
  modifiedAt?: Date;
}

/** The part of every object-storage configuration the shared helpers use. */
export interface ObjectStoreLocation {
  /** Bucket or container name. */
  name: string;
  /** Normalised: empty, or ending with `/`. */
  prefix: string;
  maxObjects: number;
}

/** What a store calls its top level, for messages: "bucket" or "container". */
export type StoreNoun = 'bucket' | 'container';

/** Why a store request failed, as far as the caller can act on it. */
export type StoreFailure =
  | 'store_missing'
  | 'object_missing'
  | 'access_denied'
  | 'bad_credentials'
  | 'unreachable'
  | 'range_unsatisfiable'
  | 'other';

/** A failed store request, classified; `detail` is a code or status safe to show (never a secret). */
export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';

  constructor(
    readonly failure: StoreFailure,
    readonly detail: string,
  ) {
    super(`${failure}: ${detail}`);
  }
}

export const prefixSchema = (example: string): JsonSchema => ({
  type: 'string',
  title: 'Prefix',
  maxLength: 1024,
  default: '',
  description: 'Only objects whose name starts with this prefix; a trailing "/" is added when missing.',
  examples: [example],
});

export const maxObjectsSchema: JsonSchema = {
  type: 'integer',
  title: 'Maximum objects',
  minimum: 1,
  maximum: 1_000_000,
  default: DEFAULT_MAX_OBJECTS,
  description: 'Stop discovering after this many objects.',
};

export const problem = (field: string, message: string): ConnectorConfigError =>
  new ConnectorConfigError([{ field, messages: [message] }]);

/** A string field that is optional: undefined when left out or blank. */
export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw problem(field, 'must be a string');
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function requiredString(value: unknown, field: string, what: string): string {
  const text = optionalString(value, field);
  if (text === undefined) throw problem(field, `${what} is required`);
  return text;
}

/** `reports/2024` → `reports/2024/`; leading slashes dropped; `""` stays the whole store. */
export function normalizePrefix(value: unknown, field = 'config.prefix'): string {
  const text = optionalString(value, field) ?? '';
  if (text.includes('\0')) throw problem(field, 'must not contain NUL characters');
  const trimmed = text.replace(/^\/+/, '');
  if (trimmed.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw problem(field, 'must not contain "." or ".." segments');
  }
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

export function parseMaxObjects(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_MAX_OBJECTS;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw problem('config.maxObjects', 'must be a positive integer');
  }
  return value as number;
}

/**
 * An `http(s)://host[:port][/path]` endpoint for S3-compatible stores, Azurite or a private
 * GCS endpoint. Credentials in the URL are refused: they would be logged and shown.
 */
export function parseEndpoint(value: unknown, field: string): URL | undefined {
  const text = optionalString(value, field);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw problem(field, 'must be a URL such as https://storage.example.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw problem(field, 'must start with http:// or https://');
  if (url.username || url.password) throw problem(field, 'must not carry credentials; put them in authConfig');
  if (url.search || url.hash) throw problem(field, 'must not carry a query string or fragment');
  return url;
}

/** The endpoint's host judged by the safe-network guard; throws SafeNetworkError before any socket. */
export function judgeEndpoint(ctx: ConnectorContext<unknown>, endpoint: URL): Promise<ResolvedAddress> {
  return ctx.net.resolve(endpoint.hostname);
}

/**
 * The full key of `relativePath` under the prefix. The path comes from `?path=` or a stored
 * document, so it is judged: no absolute paths, no `.`/`..` segments (some clients resolve them
 * in the URL, which would lead outside the prefix or the bucket), no NUL.
 */
export function objectKey(location: ObjectStoreLocation, relativePath: string): string {
  if (
    typeof relativePath !== 'string' ||
    relativePath === '' ||
    relativePath.length > 1024 ||
    relativePath.includes('\0') ||
    relativePath.startsWith('/') ||
    relativePath.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    throw new ConnectorRequestError(
      'PATH_OUTSIDE_PREFIX',
      'The path must name an object below the connector prefix, without leading "/" or "."/".." segments',
    );
  }
  return `${location.prefix}${relativePath}`;
}

/** Checks an inclusive byte range and turns it into the HTTP `Range` header value (or none). */
export function rangeHeader(range: ByteRange = {}): string | undefined {
  assertByteRange(range);
  const { start, end } = range;
  if (start === undefined && end === undefined) return undefined;
  return `bytes=${start ?? 0}-${end ?? ''}`;
}

/** A stream with no bytes: what a range past the end of an object reads. */
export const emptyStream = (): Readable => Readable.from([]);

export function toItem(location: ObjectStoreLocation, object: ListedObject): DiscoveredItem {
  const relative = object.key.slice(location.prefix.length);
  const name = relative.slice(relative.lastIndexOf('/') + 1);
  const generic = !object.contentType || object.contentType === 'application/octet-stream';
  return {
    externalId: relative,
    kind: 'file',
    name,
    path: relative,
    mimeType: (generic ? mime.lookup(name) || object.contentType : object.contentType) || undefined,
    size: object.size,
    ...(object.checksum ? { checksum: object.checksum } : {}),
    ...(object.modifiedAt ? { modifiedAt: object.modifiedAt } : {}),
    metadata: { key: object.key },
  };
}

/** Whether a listed key is a document: "folder" placeholders (keys ending in `/`) are not. */
export const isObject = (location: ObjectStoreLocation, key: string): boolean =>
  key.startsWith(location.prefix) && key.length > location.prefix.length && !key.endsWith('/');

/**
 * Pages of a listing turned into batches of discovered items, stopping at maxObjects. Pages are
 * pulled one at a time, so memory holds one page and one batch whatever the bucket's size.
 */
export async function* inItemBatches(
  ctx: ConnectorContext<unknown>,
  location: ObjectStoreLocation,
  pages: AsyncIterable<ListedObject[]>,
): AsyncIterable<DiscoveredItem[]> {
  let batch: DiscoveredItem[] = [];
  let count = 0;
  for await (const page of pages) {
    ctx.signal.throwIfAborted();
    for (const object of page) {
      if (!isObject(location, object.key)) continue;
      if (count === location.maxObjects) {
        ctx.logger.warn(`The store holds more than maxObjects (${location.maxObjects}) objects; the rest are left out`);
        if (batch.length > 0) yield batch;
        return;
      }
      count++;
      batch.push(toItem(location, object));
      if (batch.length === OBJECT_BATCH_SIZE) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

const underPrefix = (prefix: string): string => (prefix ? ` under the prefix "${prefix}"` : '');

/** The probe's answer once one page of the listing came back. */
export function reachableOutcome(
  noun: StoreNoun,
  location: ObjectStoreLocation,
  page: ListedObject[],
  more: boolean,
  details: Record<string, unknown> = {},
): ProbeOutcome {
  const objects = page.filter((object) => isObject(location, object.key)).length;
  const label = `${noun[0].toUpperCase()}${noun.slice(1)} "${location.name}"`;
  if (objects === 0 && !more) {
    return {
      success: true,
      message: `${label} is reachable`,
      warning: `${label} is reachable but holds no objects${underPrefix(location.prefix)} yet`,
      details: { ...details, objects: 0 },
    };
  }
  const count = more ? `more than ${objects}` : String(objects);
  return {
    success: true,
    message: `${label} is reachable: ${count} objects${underPrefix(location.prefix)}`,
    details: { ...details, objects, ...(more ? { truncated: true } : {}) },
  };
}

/** A message naming the cause, safe to show: codes and hosts, never credentials. */
export function failureMessage(noun: StoreNoun, name: string, error: unknown, endpoint: string): string {
  const label = `${noun} "${name}"`;
  if (!(error instanceof ObjectStoreError)) {
    return `The ${label} could not be listed (${error instanceof Error ? error.name : 'unknown error'})`;
  }
  const { failure, detail } = error;
  switch (failure) {
    case 'store_missing':
      return `No such ${label} at ${endpoint} (${detail})`;
    case 'access_denied':
      return `Access denied to ${label}: the credentials were accepted but may not list it (${detail})`;
    case 'bad_credentials':
      return `Bad credentials for ${label}: the store rejected the key or signature (${detail})`;
    case 'unreachable':
      return `Could not reach the endpoint ${endpoint} (${detail})`;
    default:
      return `The ${label} could not be listed (${detail})`;
  }
}

/**
 * The error discover() and read() throw for a classified failure: configuration and permission
 * problems are 422s a retry cannot fix; an unreachable endpoint stays a plain error (retried).
 */
export function requestError(noun: StoreNoun, name: string, error: unknown, endpoint: string): Error {
  if (!(error instanceof ObjectStoreError)) return error instanceof Error ? error : new Error(String(error));
  const message = failureMessage(noun, name, error, endpoint);
  switch (error.failure) {
    case 'store_missing':
      return new ConnectorRequestError(noun === 'bucket' ? 'BUCKET_NOT_FOUND' : 'CONTAINER_NOT_FOUND', message);
    case 'object_missing':
      return new ConnectorRequestError('FILE_NOT_FOUND', `No such object in the ${noun} below the prefix`);
    case 'access_denied':
      return new ConnectorRequestError('ACCESS_DENIED', message);
    case 'bad_credentials':
      return new ConnectorRequestError('BAD_CREDENTIALS', message);
    default:
      return new Error(message);
  }
}

/** Network-level failures (no HTTP answer) by their errno code, for every store. */
export function networkFailure(error: unknown): ObjectStoreError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.test(code)) return new ObjectStoreError('unreachable', code);
    // Some SDKs wrap the socket error and keep only its message ("AWS SDK error wrapper for ...").
    const message = (current as { message?: unknown }).message;
    const named = typeof message === 'string' ? NETWORK_IN_MESSAGE.exec(message) : null;
    if (named) return new ObjectStoreError('unreachable', named[1]);
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)$/;
const NETWORK_IN_MESSAGE = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/;

/** Aborted by ctx.signal or the call's own timeout: a cancellation, not a store failure. */
export function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** The caller's signal bounded by a timeout of its own. */
export const bounded = (signal: AbortSignal, timeoutMs: number): AbortSignal =>
  AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
