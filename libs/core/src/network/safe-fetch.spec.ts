import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { findResponseTooLarge, ResponseTooLargeError, safeFetch } from './safe-fetch';
import { SafeNetwork } from './safe-network';

describe('safeFetch', () => {
  let server: Server;
  let base: string;
  /** Bytes the endless route managed to write before the client hung up, and whether it did. */
  let endless = { written: 0, closed: Promise.resolve() };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
        return;
      }
      if (req.url === '/announced-huge') {
        res.writeHead(200, { 'content-length': String(1024 * 1024 * 1024) });
        res.write('x'.repeat(1024));
        return;
      }
      if (req.url === '/endless') {
        // No Content-Length: chunks until the client closes the connection.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let stop = false;
        endless.closed = new Promise<void>((resolve) => res.on('close', () => ((stop = true), resolve())));
        const pump = () => {
          while (!stop) {
            endless.written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        pump();
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': req.headers['x-test'] ?? '' });
        res.end(JSON.stringify({ method: req.method, body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reaches an allowed host with method, headers and body, and streams the answer back', async () => {
    const fetchSafely = safeFetch(new SafeNetwork('127.0.0.1'));
    const res = await fetchSafely(`${base}/v1/echo`, {
      method: 'POST',
      headers: { 'x-test': 'yes', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  it('refuses a loopback host that is not allowed, before connecting', async () => {
    const fetchSafely = safeFetch(new SafeNetwork(undefined));
    await expect(fetchSafely(`${base}/v1/echo`)).rejects.toThrow(/Refused to connect/);
  });

  it('hands a redirect back instead of following it', async () => {
    const res = await safeFetch(new SafeNetwork('127.0.0.1'))(`${base}/redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toContain('169.254.169.254');
  });

  it('refuses other schemes', async () => {
    await expect(safeFetch(new SafeNetwork(undefined))('file:///etc/passwd')).rejects.toThrow(/http and https/);
  });

  describe('response cap', () => {
    const cap = 256 * 1024;

    it('fails at once on a Content-Length over the cap, and closes the connection', async () => {
      const fetchSafely = safeFetch(new SafeNetwork('127.0.0.1'), { maxResponseBytes: cap });
      await expect(fetchSafely(`${base}/announced-huge`)).rejects.toBeInstanceOf(ResponseTooLargeError);
    });

    it('cuts a body without Content-Length at the cap: a clear error, the connection closed, little read', async () => {
      endless = { written: 0, closed: Promise.resolve() };
      const fetchSafely = safeFetch(new SafeNetwork('127.0.0.1'), { maxResponseBytes: cap });
      const res = await fetchSafely(`${base}/endless`);
      const error = await res.text().then(
        () => null,
        (e: unknown) => e,
      );
      expect(findResponseTooLarge(error)?.message).toBe(`The response exceeded the limit of ${cap} bytes`);
      await endless.closed;
      // What the server pushed before the close: the cap plus socket buffers, not an endless stream.
      expect(endless.written).toBeLessThan(cap + 8 * 1024 * 1024);
    });

    it('passes a body within the cap untouched', async () => {
      const fetchSafely = safeFetch(new SafeNetwork('127.0.0.1'), { maxResponseBytes: 1024 });
      const res = await fetchSafely(`${base}/v1/echo`, { method: 'POST', body: 'hello' });
      expect(await res.json()).toEqual({ method: 'POST', body: 'hello' });
    });
  });
});
