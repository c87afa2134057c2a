import createClient, { type Client, type FetchOptions } from 'openapi-fetch';
import { isErrorBody, SluiceError } from './errors';
import type { components, paths } from './generated/schema';
import { readServerSentEvents, type ServerSentEvent } from './server-sent-events';

/** Every schema of the API by name: `Schemas['ConnectorResponseDto']`. */
export type Schemas = components['schemas'];

/** The API's version prefix; the client's own paths are relative to it. */
export const API_PREFIX = '/api/v1';

/** The routes under /api/v1, keyed without the prefix: `/connectors`, `/nl2sql/query`, … */
export type ApiPaths = {
  [P in keyof paths as P extends `${typeof API_PREFIX}${infer Rest}` ? Rest : never]: paths[P];
};

/** The service routes outside /api/v1 (`/`, `/health/live`, `/health/ready`, `/metrics`). */
export type ServicePaths = {
  [P in keyof paths as P extends `${typeof API_PREFIX}${string}` ? never : P]: paths[P];
};

type JsonOk<Op> = Op extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;
type ItemOfPage<B> = B extends { data: Array<infer T>; pagination: { nextCursor: unknown } } ? T : never;

/** Routes whose GET answers a cursor page, `{ data, pagination }`. */
export type PagedPath = {
  [P in keyof ApiPaths]: ApiPaths[P] extends { get: infer Op }
    ? [ItemOfPage<JsonOk<Op>>] extends [never]
      ? never
      : P
    : never;
}[keyof ApiPaths];

/** What one page of a paged route holds, item by item. */
export type PageItem<P extends PagedPath> = ItemOfPage<JsonOk<ApiPaths[P] extends { get: infer Op } ? Op : never>>;

/** A run's stream: `progress` while it changes, then `final`; `error` if the stream fails. */
export type RunEvent =
  | ServerSentEvent<'progress' | 'final', Schemas['SyncRunResponseDto']>
  | ServerSentEvent<'error', Schemas['ErrorResponseDto']>;

/** A streamed question: `stage` as it moves on, then `result` (the body of /nl2sql/query) or `error`. */
export type QueryStreamEvent =
  | ServerSentEvent<'stage', { stage: string; attempt?: number }>
  | ServerSentEvent<'result', Schemas['QueryResponseDto']>
  | ServerSentEvent<'error', Schemas['ErrorResponseDto']>;

/** The routes answering server-sent events, with their method, request and events. */
export interface EventRoutes {
  '/connectors/{id}/runs/{runId}/events': {
    method: 'GET';
    init: FetchOptions<ApiPaths['/connectors/{id}/runs/{runId}/events']['get']>;
    event: RunEvent;
  };
  '/nl2sql/query/stream': {
    method: 'POST';
    init: FetchOptions<ApiPaths['/nl2sql/query/stream']['post']>;
    event: QueryStreamEvent;
  };
}

const EVENT_METHODS: { [P in keyof EventRoutes]: EventRoutes[P]['method'] } = {
  '/connectors/{id}/runs/{runId}/events': 'GET',
  '/nl2sql/query/stream': 'POST',
};

/**
 * Called with every answer the client receives (refreshes included), before it is handed back:
 * `path` is the spec's path template (`/api/v1/connectors/{id}`), `body` the parsed JSON, the
 * text of a non-JSON answer, or undefined for an event stream (left unread). Throwing fails the call.
 */
export type ResponseHook = (
  method: string,
  path: string,
  status: number,
  body: unknown,
  response: Response,
) => void | Promise<void>;

export type TokenPair = Schemas['TokenResponseDto'];

export interface SluiceClientOptions {
  /** Where the API is served, e.g. `https://sluice.example.com` (no /api/v1). */
  baseUrl: string;
  /** An access token (from login or refresh), sent as `Authorization: Bearer`. */
  token?: string;
  /** An API key (`sk_…`), sent as `X-API-Key`; wins over a token. */
  apiKey?: string;
  /** A refresh token: when the access token has expired, it is traded for a new pair once and the call retried. */
  refreshToken?: string;
  /** The tenant to act in (`X-Tenant-Id`), for accounts that belong to several. */
  tenantId?: string;
  /** A fetch to use instead of the global one (tests, proxies, retries). */
  fetch?: typeof globalThis.fetch;
  /** Headers added to every request. */
  headers?: Record<string, string>;
  /** Told about each new token pair (after login or a refresh), to store it. */
  onTokens?: (tokens: TokenPair) => void;
  onResponse?: ResponseHook;
}

type Loose = {
  request(
    method: string,
    path: string,
    init?: Record<string, unknown>,
  ): Promise<{ data?: unknown; error?: unknown; response: Response }>;
};

/** The typed client: openapi-fetch's `GET`/`POST`/`PUT`/`DELETE` on /api/v1 routes, plus helpers. */
export interface SluiceClient extends Client<ApiPaths> {
  /** The same calls on the service routes outside /api/v1 (`/health/ready`, `/metrics`). */
  readonly service: Client<ServicePaths>;
  /** The credentials in use (they change after a login or a refresh). */
  readonly credentials: { readonly token?: string; readonly refreshToken?: string; readonly apiKey?: string };
  /** Signs in, keeps the token pair for the following calls and returns it. */
  login(email: string, password: string, tenant?: string): Promise<TokenPair>;
  /** Trades the refresh token for a new pair now (also done on its own when a token expires). */
  refresh(): Promise<TokenPair>;
  /** Every item of a paged route, page after page, following `pagination.nextCursor`. */
  paginate<P extends PagedPath>(
    path: P,
    init?: FetchOptions<ApiPaths[P] extends { get: infer Op } ? Op : never>,
  ): AsyncGenerator<PageItem<P>>;
  /** The server-sent events of a run or of a streamed question, until the server ends the stream. */
  events<P extends keyof EventRoutes>(
    path: P,
    init: EventRoutes[P]['init'] & { signal?: AbortSignal },
  ): AsyncGenerator<EventRoutes[P]['event']>;
  /** Uploads a file to a `local_file` connector (raw body). */
  upload(
    connectorId: string,
    file: Blob | ArrayBuffer | Uint8Array | string,
    options?: { fileName?: string; contentType?: string },
  ): Promise<Schemas['ConnectorResponseDto']>;
}

/**
 * The data of an openapi-fetch call, or a thrown {@link SluiceError} when the API refused it:
 * `const connector = await unwrap(client.GET('/connectors/{id}', { params: { path: { id } } }))`.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw SluiceError.fromResponse(response, error);
  return data as T;
}

export function createSluiceClient(options: SluiceClientOptions): SluiceClient {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const origin = options.baseUrl.replace(/\/+$/, '');
  const state = { token: options.token, refreshToken: options.refreshToken, apiKey: options.apiKey };
  const headers = { ...options.headers, ...(options.tenantId ? { 'X-Tenant-Id': options.tenantId } : {}) };

  // Sign-in and refresh go out without credentials and without the retry below.
  const anonymous = createClient<ApiPaths>({ baseUrl: origin + API_PREFIX, fetch: baseFetch, headers });
  let refreshing: Promise<TokenPair> | undefined;

  const keep = (pair: TokenPair): TokenPair => {
    state.token = pair.accessToken;
    state.refreshToken = pair.refreshToken;
    options.onTokens?.(pair);
    return pair;
  };

  const refresh = (): Promise<TokenPair> => {
    // Concurrent calls that all met an expired token share one refresh: a refresh token works once.
    refreshing ??= (async () => {
      if (!state.refreshToken) throw new SluiceError(401, 'NO_REFRESH_TOKEN', 'No refresh token to refresh with');
      return keep(await unwrap(anonymous.POST('/auth/refresh', { body: { refreshToken: state.refreshToken } })));
    })().finally(() => (refreshing = undefined));
    return refreshing;
  };

  const authorise = (request: Request): Request => {
    if (state.apiKey) request.headers.set('X-API-Key', state.apiKey);
    else if (state.token) request.headers.set('Authorization', `Bearer ${state.token}`);
    return request;
  };

  /** Sends with the current credentials; an expired access token is refreshed once and the call retried. */
  const send = async (request: Request, init?: RequestInit): Promise<Response> => {
    const canRefresh = !state.apiKey && !!state.refreshToken;
    if (canRefresh && !state.token) await refresh();
    const again = canRefresh ? request.clone() : undefined;
    const response = await baseFetch(authorise(request), init);
    if (response.status !== 401 || !again) return response;
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => undefined);
    if (!isErrorBody(body) || body.code !== 'TOKEN_EXPIRED') return response;
    try {
      await refresh();
    } catch {
      return response;
    }
    return baseFetch(authorise(again), init);
  };

  const hook = (prefix: string) => ({
    async onResponse({ request, response, schemaPath }: { request: Request; response: Response; schemaPath: string }) {
      if (!options.onResponse) return undefined;
      const type = response.headers.get('content-type') ?? '';
      let body: unknown;
      if (type.includes('text/event-stream')) body = undefined;
      else {
        const text = await response.clone().text();
        body = type.includes('json') && text ? JSON.parse(text) : text || undefined;
      }
      await options.onResponse(request.method, prefix + schemaPath, response.status, body, response);
      return undefined;
    },
  });

  const api = createClient<ApiPaths>({ baseUrl: origin + API_PREFIX, fetch: send, headers });
  const service = createClient<ServicePaths>({ baseUrl: origin, fetch: send, headers });
  api.use(hook(API_PREFIX));
  service.use(hook(''));
  anonymous.use(hook(API_PREFIX));
  const loose = api as unknown as Loose;

  async function* paginate(path: string, init: { params?: { query?: Record<string, unknown> } } = {}) {
    let query = { ...init.params?.query };
    for (;;) {
      const page = (await unwrap(loose.request('GET', path, { ...init, params: { ...init.params, query } }))) as {
        data: unknown[];
        pagination: { hasMore: boolean; nextCursor: string | null };
      };
      yield* page.data;
      const { hasMore, nextCursor } = page.pagination;
      if (!hasMore || !nextCursor) return;
      query = { ...query, cursor: nextCursor };
    }
  }

  async function* events(path: keyof EventRoutes, init: Record<string, unknown>) {
    const { response, error } = await loose.request(EVENT_METHODS[path], path, {
      ...init,
      parseAs: 'stream',
      headers: { accept: 'text/event-stream', ...(init.headers as Record<string, string> | undefined) },
    });
    if (!response.ok) throw SluiceError.fromResponse(response, error);
    if (!response.body) return;
    yield* readServerSentEvents(response.body);
  }

  async function upload(
    connectorId: string,
    file: Blob | ArrayBuffer | Uint8Array | string,
    { fileName, contentType = 'application/octet-stream' }: { fileName?: string; contentType?: string } = {},
  ) {
    const response = loose.request('POST', '/connectors/{id}/upload', {
      params: { path: { id: connectorId }, query: fileName ? { fileName } : {} },
      body: file,
      bodySerializer: (raw: unknown) => raw,
      headers: { 'Content-Type': contentType },
    });
    return (await unwrap(response)) as Schemas['ConnectorResponseDto'];
  }

  const client = Object.assign(api, {
    service,
    login: async (email: string, password: string, tenant?: string) => {
      const body = { email, password, ...(tenant ? { tenant } : {}) };
      return keep(await unwrap(anonymous.POST('/auth/login', { body })));
    },
    refresh,
    paginate,
    events,
    upload,
  });
  // A getter, not a copy: the pair changes after each refresh.
  Object.defineProperty(client, 'credentials', { get: () => ({ ...state }), enumerable: true });
  return client as unknown as SluiceClient;
}
