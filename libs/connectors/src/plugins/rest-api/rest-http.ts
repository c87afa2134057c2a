import { findResponseTooLarge, inspectJson, safeFetch, SafeNetworkError } from '@sluice/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorRequestError } from '../../plugin/connector-errors';
import type { ConnectorContext } from '../../plugin/connector-plugin';
import type { RestApiConfig } from './rest-api-config';

/** Redirects followed at most per request, each hop judged again by the safe-network guard. */
export const MAX_REDIRECTS = 5;
/** Longest wait honoured from a Retry-After header (a longer one is cut to this). */
export const MAX_RETRY_WAIT_MS = 30_000;
/** One request (all its redirect hops) gives up after this long. */
export const REQUEST_TIMEOUT_MS = 60_000;
const BACKOFF_BASE_MS = 250;
/** Deepest nesting of an answer accepted (records are walked recursively when hashed). */
export const MAX_JSON_DEPTH = 100;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRIED = new Set([429, 500, 502, 503, 504]);

/** Where an answer can be named in a message: never its query string, which may carry a key. */
export const describeUrl = (url: URL): string => `${url.origin}${url.pathname}`;

export interface RestRequest {
  url: URL;
  method: 'GET' | 'POST' | 'HEAD';
  body?: string;
}

export interface RestAnswer {
  response: Response;
  /** The URL that answered, after redirects (credentials in its query string, if any, removed). */
  url: URL;
}

/**
 * Secrets for one URL: attached only when the URL is on the configured origin, so neither a
 * redirect nor a `Link: rel=next` to another origin ever receives them.
 */
function withCredentials(config: RestApiConfig, url: URL, origin: string): { url: URL; headers: Headers } {
  const headers = new Headers({ accept: 'application/json', ...config.headers });
  const target = new URL(url);
  // A key parameter the URL carries in from elsewhere is never passed on.
  if (config.authType === 'api_key_query') target.searchParams.delete(config.apiKeyName);
  if (target.origin !== origin) return { url: target, headers };
  if (config.authType === 'bearer') headers.set('authorization', `Bearer ${config.token}`);
  if (config.authType === 'basic') {
    const pair = Buffer.from(`${config.username}:${config.password}`).toString('base64');
    headers.set('authorization', `Basic ${pair}`);
  }
  if (config.authType === 'api_key_header') headers.set(config.apiKeyName, config.apiKey!);
  if (config.authType === 'api_key_query') target.searchParams.set(config.apiKeyName, config.apiKey!);
  return { url: target, headers };
}

/** The wait a 429/503 asks for: Retry-After in seconds or as an HTTP date, capped; null without one. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(ms, 0), MAX_RETRY_WAIT_MS);
}

function connectionError(error: unknown, url: URL): ConnectorRequestError {
  const code =
    (error as { code?: string; cause?: { code?: string } }).code ??
    (error as { cause?: { code?: string } }).cause?.code;
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  if (code === 'ECONNREFUSED') return new ConnectorRequestError('API_UNREACHABLE', `Connection refused by ${where}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectorRequestError('API_UNREACHABLE', `The host ${url.hostname} could not be resolved`);
  }
  if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') {
    return new ConnectorRequestError('API_TIMEOUT', `No answer from ${where} in time`);
  }
  return new ConnectorRequestError('API_UNREACHABLE', `The request to ${where} failed (${code ?? 'network error'})`);
}

/** The error to throw for a failure that is ours to explain; the guard's refusal passes as it is. */
export function explain(error: unknown, url: URL, config: RestApiConfig): Error {
  if (error instanceof SafeNetworkError || error instanceof ConnectorRequestError) return error;
  if (findResponseTooLarge(error)) {
    return new ConnectorRequestError(
      'RESPONSE_TOO_LARGE',
      `The API answered more than ${config.maxResponseBytes} bytes for one request (config.maxResponseBytes, at most HTTP_RESPONSE_MAX_BYTES); ask for smaller pages (pagination.pageSize) or raise the cap`,
    );
  }
  return connectionError(error, url);
}

/**
 * Sends one request through the safe-network guard, following redirects by hand: at most
 * MAX_REDIRECTS hops, each judged again (safeFetch resolves every URL it is given), credentials
 * only on the configured origin. 303, and 301/302 after a POST, continue as GET without body.
 */
async function sendFollowing(
  ctx: ConnectorContext<RestApiConfig>,
  request: RestRequest,
  signal: AbortSignal,
): Promise<RestAnswer> {
  const config = ctx.config;
  const origin = new URL(config.url).origin;
  const fetcher = safeFetch(ctx.net, { maxResponseBytes: config.maxResponseBytes });
  let { method, body } = request;
  let url = request.url;
  for (let hop = 0; ; hop++) {
    const prepared = withCredentials(config, url, origin);
    if (body !== undefined) prepared.headers.set('content-type', 'application/json');
    let response: Response;
    try {
      response = await fetcher(prepared.url, { method, headers: prepared.headers, body, signal, redirect: 'manual' });
    } catch (error) {
      throw explain(error, url, config);
    }
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || !location) return { response, url: prepared.url };
    await response.body?.cancel().catch(() => undefined);
    if (hop === MAX_REDIRECTS) {
      throw new ConnectorRequestError(
        'TOO_MANY_REDIRECTS',
        `More than ${MAX_REDIRECTS} redirects from ${describeUrl(request.url)}`,
      );
    }
    let next: URL;
    try {
      next = new URL(location, prepared.url);
    } catch {
      throw new ConnectorRequestError('BAD_REDIRECT', `The API redirected to an invalid URL from ${describeUrl(url)}`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new ConnectorRequestError(
        'BAD_REDIRECT',
        `The API redirected to a ${next.protocol} URL, which is not followed`,
      );
    }
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
    }
    ctx.logger.log?.(`REST API redirect ${response.status} from ${describeUrl(url)} to ${describeUrl(next)}`);
    url = next;
  }
}

/**
 * One request with retries: 429 and 5xx are tried again up to `retries` times, after the wait
 * Retry-After asks for (capped at MAX_RETRY_WAIT_MS) or an exponential backoff, never past
 * ctx.signal. The last answer is returned whatever its status; the caller judges it.
 */
export async function restRequest(
  ctx: ConnectorContext<RestApiConfig>,
  request: RestRequest,
  retries = ctx.config.maxRetries,
): Promise<RestAnswer> {
  for (let attempt = 0; ; attempt++) {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
    const answer = await sendFollowing(ctx, request, signal);
    if (!RETRIED.has(answer.response.status) || attempt >= retries) return answer;
    await answer.response.body?.cancel().catch(() => undefined);
    const wait = retryAfterMs(answer.response.headers.get('retry-after')) ?? BACKOFF_BASE_MS * 2 ** attempt;
    ctx.logger.warn?.(
      `REST API answered ${answer.response.status} at ${describeUrl(answer.url)}; retry ${attempt + 1} of ${retries} in ${wait} ms`,
    );
    try {
      await sleep(wait, undefined, { signal: ctx.signal });
    } catch {
      throw new ConnectorRequestError('API_TIMEOUT', 'Stopped while waiting to retry the API');
    }
  }
}

/** The JSON body of a successful answer; a clear error for other statuses and bodies that are not JSON. */
export async function readJson(answer: RestAnswer, config: RestApiConfig): Promise<unknown> {
  const { response, url } = answer;
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 401 || response.status === 403) {
      throw new ConnectorRequestError(
        'API_AUTH_FAILED',
        `The API refused the credentials (HTTP ${response.status}) at ${describeUrl(url)}; check authConfig`,
      );
    }
    throw new ConnectorRequestError('API_ERROR', `The API answered HTTP ${response.status} at ${describeUrl(url)}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw explain(error, url, config);
  }
  const inspection = inspectJson(text, MAX_JSON_DEPTH);
  if (inspection.tooDeep) {
    throw new ConnectorRequestError(
      'API_JSON_TOO_DEEP',
      `The answer of ${describeUrl(url)} nests deeper than ${MAX_JSON_DEPTH} levels`,
    );
  }
  // PostgreSQL cannot store a NUL character in text or jsonb: it becomes U+FFFD.
  if (inspection.hasNul) text = text.replace(/\\u0000/gi, '\\ufffd');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConnectorRequestError('API_NOT_JSON', `The answer of ${describeUrl(url)} is not JSON`);
  }
}
