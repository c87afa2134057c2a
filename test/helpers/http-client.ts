import { OpenApiValidator } from './openapi-validator';

let validator: OpenApiValidator | undefined;
/** The committed openapi.json, loaded once per test file. */
const documentValidator = (): OpenApiValidator => (validator ??= OpenApiValidator.fromCommittedDocument());

export interface HttpResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
}

/**
 * A small fetch wrapper: real HTTP to the app under test, JSON in and out. Every answer of a route
 * openapi.json describes is checked against it (status documented, JSON body matching its schema),
 * so a test fails on an answer that drifts from the document; `validate: false` turns that off for
 * a client that is not talking to the API.
 */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly options: { validate?: boolean } = {},
  ) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if (res.headers.get('content-type')?.includes('json') && text) parsed = JSON.parse(text);
    if (this.options.validate !== false)
      documentValidator().assertMatches({
        method,
        path,
        status: res.status,
        contentType: res.headers.get('content-type'),
        body: parsed,
      });
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }
  put<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('PUT', path, { ...options, body });
  }
  delete<T = any>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  /** Signs in and returns the access token (fails the test loudly when sign-in fails). */
  async login(email: string, password: string, tenant?: string): Promise<string> {
    const res = await this.post('/api/v1/auth/login', { email, password, ...(tenant ? { tenant } : {}) });
    if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${res.text}`);
    return res.body.accessToken as string;
  }
}
