import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { safeFetch } from './safe-fetch';
import { SafeNetwork } from './safe-network';

describe('safeFetch', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
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
});
