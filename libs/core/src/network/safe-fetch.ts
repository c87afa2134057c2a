import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { SafeNetwork } from './safe-network';

/**
 * A `fetch` for outbound HTTP (LLM providers and other remote APIs) that goes through the
 * safe-network guard: the host is resolved and judged first, and the socket connects to exactly
 * the address that was judged, so a second DNS answer cannot swap in a private one. Redirects are
 * never followed (a 3xx comes back as it is), so a public endpoint cannot bounce a request inward.
 */
export function safeFetch(net: SafeNetwork): typeof fetch {
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
        const responseHeaders = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) value.forEach((v) => responseHeaders.append(key, v));
          else if (value !== undefined) responseHeaders.set(key, value);
        }
        const noBody = request.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
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
