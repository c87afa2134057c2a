import { safeFetch } from '@sluice/core';
import { createHash, createSign } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ConnectorContext } from '../../plugin/connector-plugin';
import {
  emptyStream,
  isAbort,
  networkFailure,
  ObjectStoreError,
  type ListedObject,
  type ObjectStoreLocation,
} from '../object-storage/object-storage';

/** A service account key, as read from its JSON file. */
export interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
  tokenUri: URL;
}

/** Configuration of the JSON API side of a GCS connector. */
export interface GcsJsonTarget extends ObjectStoreLocation {
  /** https://storage.googleapis.com unless a test or private endpoint is named. */
  apiEndpoint: URL;
  serviceAccount: ServiceAccount;
}

const SCOPE = 'https://www.googleapis.com/auth/devstorage.read_only';
/** JSON answers (listings, metadata, tokens) are small; object bytes are streamed with no cap. */
const JSON_MAX_BYTES = 8 * 1024 * 1024;
const MEDIA_MAX_BYTES = Number.MAX_SAFE_INTEGER;

/** Access tokens by service account, reused until a minute before they expire. */
const tokens = new Map<string, { token: string; expiresAt: number }>();
const MAX_CACHED_TOKENS = 1000;

const base64url = (input: string | Buffer): string => Buffer.from(input).toString('base64url');

/** A signed JWT assertion for the OAuth 2.0 JWT bearer grant (RFC 7523). */
function assertion(account: ServiceAccount, now: number): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const iat = Math.floor(now / 1000);
  const claims = base64url(
    JSON.stringify({ iss: account.clientEmail, scope: SCOPE, aud: account.tokenUri.toString(), iat, exp: iat + 3600 }),
  );
  const signer = createSign('RSA-SHA256');
  signer.update(`${header}.${claims}`);
  return `${header}.${claims}.${signer.sign(account.privateKey).toString('base64url')}`;
}

function failureFor(status: number, reason: string, notFound: 'store_missing' | 'object_missing'): ObjectStoreError {
  const detail = `${reason || 'error'}, HTTP ${status}`;
  if (status === 401) return new ObjectStoreError('bad_credentials', detail);
  if (status === 403) return new ObjectStoreError('access_denied', detail);
  if (status === 404) return new ObjectStoreError(notFound, detail);
  if (status === 416) return new ObjectStoreError('range_unsatisfiable', detail);
  return new ObjectStoreError('other', detail);
}

/** The error reason of a JSON API answer (`error.errors[0].reason` or `error`), never its free text. */
async function reasonOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as {
      error?: string | { status?: string; errors?: Array<{ reason?: string }> };
    };
    if (typeof body.error === 'string') return body.error.slice(0, 64);
    return (body.error?.errors?.[0]?.reason ?? body.error?.status ?? '').slice(0, 64);
  } catch {
    return '';
  }
}

function classified(error: unknown): unknown {
  if (isAbort(error) || error instanceof ObjectStoreError) return error;
  return networkFailure(error) ?? error;
}

/**
 * The JSON API subset the gcs type uses, every request through safeFetch (the safe-network
 * guard, pinned to the judged address, no redirects followed): the token exchange, bucket get,
 * object listing with prefix and pageToken, object metadata and media download with Range.
 */
export class GcsJsonApi {
  private readonly json: typeof fetch;
  private readonly media: typeof fetch;

  constructor(
    private readonly ctx: ConnectorContext<unknown>,
    private readonly target: GcsJsonTarget,
    private readonly signal: AbortSignal,
  ) {
    this.json = safeFetch(ctx.net, { maxResponseBytes: JSON_MAX_BYTES });
    this.media = safeFetch(ctx.net, { maxResponseBytes: MEDIA_MAX_BYTES });
  }

  /** Judges the API host before anything else: a refused endpoint throws SafeNetworkError. */
  async judge(): Promise<void> {
    await this.ctx.net.resolve(this.target.apiEndpoint.hostname);
    await this.ctx.net.resolve(this.target.serviceAccount.tokenUri.hostname);
  }

  async bucket(): Promise<{ name: string; location?: string }> {
    const response = await this.get(this.bucketPath(), {}, 'store_missing');
    return (await response.json()) as { name: string; location?: string };
  }

  async listPage(pageToken: string | undefined, maxResults: number): Promise<{ page: ListedObject[]; next?: string }> {
    const query: Record<string, string> = {
      maxResults: String(maxResults),
      fields: 'items(name,size,generation,contentType,updated),nextPageToken',
    };
    if (this.target.prefix) query.prefix = this.target.prefix;
    if (pageToken) query.pageToken = pageToken;
    const response = await this.get(`${this.bucketPath()}/o`, query, 'store_missing');
    const body = (await response.json()) as { items?: GcsObject[]; nextPageToken?: string };
    return { page: (body.items ?? []).map(listed), next: body.nextPageToken || undefined };
  }

  async *pages(): AsyncIterable<ListedObject[]> {
    let token: string | undefined;
    do {
      const { page, next } = await this.listPage(token, 1000);
      yield page;
      token = next;
    } while (token);
  }

  /** Metadata of one object, or null when it is not there. */
  async object(name: string): Promise<ListedObject | null> {
    try {
      const response = await this.get(this.objectPath(name), {}, 'object_missing');
      return listed((await response.json()) as GcsObject);
    } catch (error) {
      if (error instanceof ObjectStoreError && error.failure === 'object_missing') return null;
      throw error;
    }
  }

  async download(name: string, range: string | undefined): Promise<Readable> {
    try {
      const response = await this.get(this.objectPath(name), { alt: 'media' }, 'object_missing', range, this.media);
      return response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : emptyStream();
    } catch (error) {
      if (error instanceof ObjectStoreError && error.failure === 'range_unsatisfiable') return emptyStream();
      throw error;
    }
  }

  private bucketPath(): string {
    return `/storage/v1/b/${encodeURIComponent(this.target.name)}`;
  }

  private objectPath(name: string): string {
    return `${this.bucketPath()}/o/${encodeURIComponent(name)}`;
  }

  private async get(
    path: string,
    query: Record<string, string>,
    notFound: 'store_missing' | 'object_missing',
    range?: string,
    fetcher = this.json,
  ): Promise<Response> {
    try {
      const url = new URL(`${this.target.apiEndpoint.toString().replace(/\/$/, '')}${path}`);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      const headers: Record<string, string> = { authorization: `Bearer ${await this.accessToken()}` };
      if (range) headers.range = range;
      const response = await fetcher(url, { headers, signal: this.signal });
      if (response.ok) return response;
      throw failureFor(response.status, await reasonOf(response), notFound);
    } catch (error) {
      throw classified(error);
    }
  }

  private async accessToken(): Promise<string> {
    const account = this.target.serviceAccount;
    const key = createHash('sha256')
      .update(`${account.clientEmail}\0${account.tokenUri.toString()}\0${account.privateKey}`)
      .digest('hex');
    const cached = tokens.get(key);
    const now = Date.now();
    if (cached && cached.expiresAt > now + 60_000) return cached.token;
    const response = await this.json(account.tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: assertion(account, now),
      }).toString(),
      signal: this.signal,
    });
    if (!response.ok) {
      const reason = await reasonOf(response);
      // The token endpoint refusing the signed assertion is a credentials problem, whatever its status.
      throw new ObjectStoreError(
        response.status >= 500 ? 'other' : 'bad_credentials',
        `token ${reason || 'error'}, HTTP ${response.status}`,
      );
    }
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new ObjectStoreError('bad_credentials', 'token endpoint gave no access token');
    // Bounded: the oldest entry goes first once the map is full (Map keeps insertion order).
    if (tokens.size >= MAX_CACHED_TOKENS) tokens.delete(tokens.keys().next().value!);
    tokens.set(key, { token: body.access_token, expiresAt: now + (body.expires_in ?? 3600) * 1000 });
    return body.access_token;
  }
}

interface GcsObject {
  name: string;
  size?: string;
  generation?: string;
  contentType?: string;
  updated?: string;
}

function listed(object: GcsObject): ListedObject {
  return {
    key: object.name,
    size: Number(object.size ?? 0),
    checksum: object.generation,
    contentType: object.contentType,
    modifiedAt: object.updated ? new Date(object.updated) : undefined,
  };
}
