/**
 * A local stand-in for Google Cloud Storage's JSON API, for the gcs connector's tests. It speaks
 * exactly the subset the connector uses, with Google's paths and shapes:
 *
 * - `POST /token`: the OAuth 2.0 JWT bearer grant (RFC 7523). The RS256 assertion is verified
 *   against the public key of the one service account it knows (and its `aud` against this URL);
 *   anything else → 400 `invalid_grant`. Answers `{ access_token, expires_in, token_type }`.
 * - `GET /storage/v1/b/{bucket}`: bucket get.
 * - `GET /storage/v1/b/{bucket}/o?prefix=&pageToken=&maxResults=`: object listing, by name,
 *   paginated with `nextPageToken` (`fields` is accepted and ignored).
 * - `GET /storage/v1/b/{bucket}/o/{object}`: object metadata (name, size, generation,
 *   contentType, updated); with `?alt=media`, the bytes, honouring `Range: bytes=a-b` (206, or
 *   416 past the end).
 *
 * Every storage request needs `Authorization: Bearer <a token it issued>` (else 401). Buckets
 * named in `denied` answer 403. Errors use the JSON API error shape.
 */
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  data: Buffer;
  contentType: string;
  generation: number;
  updated: Date;
}

export class FakeGcs {
  url = '';
  /** Requests received, by method and path (no query), to assert what the connector asked. */
  readonly requests: string[] = [];
  readonly denied = new Set<string>();
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private readonly issued = new Set<string>();
  private generation = 1_700_000_000_000_000;
  private server?: Server;
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  readonly clientEmail = 'reader@sluice-test.iam.gserviceaccount.com';

  /** The service account key file for this server (token_uri pointing here). */
  serviceAccountJson(privateKey: KeyObject = this.keys.privateKey): string {
    return JSON.stringify({
      type: 'service_account',
      project_id: 'sluice-test',
      client_email: this.clientEmail,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      token_uri: `${this.url}/token`,
    });
  }

  /** A well-formed key the server does not know: a wrong credential. */
  strangerJson(): string {
    return this.serviceAccountJson(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  }

  createBucket(name: string): void {
    this.buckets.set(name, new Map());
  }

  put(bucket: string, name: string, body: string, contentType = 'application/octet-stream'): void {
    this.buckets.get(bucket)!.set(name, {
      data: Buffer.from(body),
      contentType,
      generation: ++this.generation,
      updated: new Date(),
    });
  }

  remove(bucket: string, name: string): void {
    this.buckets.get(bucket)!.delete(name);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => this.error(res, 500, 'backendError'));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    if (req.method === 'POST' && url.pathname === '/token') return this.token(req, res);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !this.issued.has(bearer)) return this.error(res, 401, 'authError');
    const match = /^\/storage\/v1\/b\/([^/]+)(?:\/o(?:\/(.+))?)?$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) return this.error(res, 404, 'notFound');
    const bucketName = decodeURIComponent(match[1]);
    const bucket = this.buckets.get(bucketName);
    if (!bucket) return this.error(res, 404, 'notFound');
    if (this.denied.has(bucketName)) return this.error(res, 403, 'forbidden');
    const listing = url.pathname.endsWith('/o');
    if (match[2] === undefined && !listing) return this.json(res, 200, { kind: 'storage#bucket', name: bucketName });
    if (listing) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Math.min(Number(url.searchParams.get('maxResults') ?? 1000), 1000);
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const names = [...bucket.keys()].filter((name) => name.startsWith(prefix)).sort();
      const page = names.slice(start, start + max);
      return this.json(res, 200, {
        kind: 'storage#objects',
        items: page.map((name) => this.metadata(bucketName, name, bucket.get(name)!)),
        ...(start + max < names.length ? { nextPageToken: String(start + max) } : {}),
      });
    }
    const name = decodeURIComponent(match[2]!);
    const object = bucket.get(name);
    if (!object) return this.error(res, 404, 'notFound');
    if (url.searchParams.get('alt') !== 'media') return this.json(res, 200, this.metadata(bucketName, name, object));
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!range) {
      res.writeHead(200, { 'content-type': object.contentType, 'content-length': object.data.length });
      return void res.end(object.data);
    }
    const first = Number(range[1]);
    const last = Math.min(range[2] ? Number(range[2]) : object.data.length - 1, object.data.length - 1);
    if (first >= object.data.length) return this.error(res, 416, 'requestedRangeNotSatisfiable');
    const slice = object.data.subarray(first, last + 1);
    res.writeHead(206, {
      'content-type': object.contentType,
      'content-length': slice.length,
      'content-range': `bytes ${first}-${last}/${object.data.length}`,
    });
    res.end(slice);
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const form = new URLSearchParams(body);
    const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${header}.${claims}`);
    let valid: boolean;
    try {
      const payload = JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
      valid =
        form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' &&
        payload.iss === this.clientEmail &&
        payload.aud === `${this.url}/token` &&
        verifier.verify(this.keys.publicKey, Buffer.from(signature, 'base64url'));
    } catch {
      valid = false;
    }
    if (!valid) return this.json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const token = `ya29.fake-${this.issued.size + 1}-${Date.now()}`;
    this.issued.add(token);
    this.json(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }

  private metadata(bucket: string, name: string, object: StoredObject): Record<string, unknown> {
    return {
      kind: 'storage#object',
      bucket,
      name,
      size: String(object.data.length),
      generation: String(object.generation),
      contentType: object.contentType,
      updated: object.updated.toISOString(),
    };
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private error(res: ServerResponse, status: number, reason: string): void {
    this.json(res, status, { error: { code: status, message: reason, errors: [{ reason, message: reason }] } });
  }
}
