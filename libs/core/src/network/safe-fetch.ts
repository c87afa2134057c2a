import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { SafeNetwork } from './safe-network';

/** Used when the caller names no cap: 16 MiB, the default of HTTP_RESPONSE_MAX_BYTES. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface SafeFetchOptions {
  /** Bytes of body a response may carry; past it the connection is closed and the read fails. */
  maxResponseBytes?: number;
}

/** An outbound response announced or sent more bytes than allowed; its connection was closed. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`The response exceeded the limit of ${limitBytes} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** The ResponseTooLargeError behind an error, however deep SDKs wrapped it (cause chains). */
export function findResponseTooLarge(error: unknown): ResponseTooLargeError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current instanceof ResponseTooLargeError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * The body of `res` as a web stream that never holds more than `limit` bytes in total: the
 * socket is destroyed at the first byte over, so a hostile server cannot grow our memory. Reads
 * pause while the consumer is behind (back-pressure), instead of buffering.
 */
function boundedBody(res: IncomingMessage, limit: number): ReadableStream<Uint8Array> {
  let received = 0;
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const fail = (error: Error) => {
          if (done) return;
          done = true;
          controller.error(error);
        };
        res.on('data', (chunk: Buffer) => {
          if (done) return;
          received += chunk.length;
          if (received > limit) {
            const error = new ResponseTooLargeError(limit);
            res.destroy();
            fail(error);
            return;
          }
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) res.pause();
        });
        res.on('end', () => {
          if (done) return;
          done = true;
          controller.close();
        });
        res.on('error', fail);
        res.on('close', () => fail(new Error('The connection closed before the response ended')));
      },
      pull() {
        res.resume();
      },
      cancel() {
        done = true;
        res.destroy();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}

/**
 * A `fetch` for outbound HTTP (LLM providers and other remote APIs) that goes through the
 * safe-network guard: the host is resolved and judged first, and the socket connects to exactly
 * the address that was judged, so a second DNS answer cannot swap in a private one. Redirects are
 * never followed (a 3xx comes back as it is), so a public endpoint cannot bounce a request inward.
 * Bodies are capped at `maxResponseBytes`: a larger Content-Length fails at once, a longer body
 * fails when the cap is crossed; either way the connection is closed.
 */
export function safeFetch(net: SafeNetwork, options: SafeFetchOptions = {}): typeof fetch {
  const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`Only http and https URLs can be fetched, not ${url.protocol}`);
    }
    const resolved = await net.resolve(url.hostname);
    const pinned: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) {
        (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [
          { address: resolved.address, family: resolved.family },
        ]);
      } else callback(null, resolved.address, resolved.family);
    };
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => (headers[key] = value));
    if (body) headers['content-length'] = String(body.length);

    return new Promise<Response>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: request.method, headers, lookup: pinned, signal: init.signal ?? undefined });
      req.on('response', (res: IncomingMessage) => {
        const announced = Number(res.headers['content-length']);
        if (Number.isFinite(announced) && announced > limit) {
          req.destroy();
          res.destroy();
          reject(new ResponseTooLargeError(limit));
          return;
        }
        const responseHeaders = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) value.forEach((v) => responseHeaders.append(key, v));
          else if (value !== undefined) responseHeaders.set(key, value);
        }
        const noBody = request.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
        if (noBody) res.resume();
        resolve(
          new Response(noBody ? null : boundedBody(res, limit), {
            status: res.statusCode ?? 502,
            statusText: res.statusMessage,
            headers: responseHeaders,
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  };
}
