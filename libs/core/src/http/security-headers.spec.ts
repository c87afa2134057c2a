import express from 'express';
import type { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { securityHeaders } from './security-headers';

/** Headers of GET /docs from a bare Express app with the middleware, and `trust proxy` as given. */
async function headersOf(
  httpsOnly: boolean,
  trustProxy: boolean,
  requestHeaders: Record<string, string> = {},
): Promise<Headers> {
  const app = express();
  if (trustProxy) app.set('trust proxy', true);
  app.use(securityHeaders(httpsOnly));
  app.get('/docs', (_req, res) => {
    res.send('ok');
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const { port } = server.address() as AddressInfo;
    return (await fetch(`http://127.0.0.1:${port}/docs`, { headers: requestHeaders })).headers;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

function httpsOnlyHeaders(headers: Headers) {
  return {
    hsts: headers.get('strict-transport-security'),
    upgrade: /upgrade-insecure-requests/.test(headers.get('content-security-policy') ?? ''),
  };
}

describe('securityHeaders', () => {
  it('sends neither HSTS nor upgrade-insecure-requests over plain HTTP, and keeps the rest of the policy', async () => {
    const headers = await headersOf(false, false);
    expect(httpsOnlyHeaders(headers)).toEqual({ hsts: null, upgrade: false });
    expect(headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends both with HTTPS_ONLY', async () => {
    const { hsts, upgrade } = httpsOnlyHeaders(await headersOf(true, false));
    expect(hsts).toMatch(/max-age=\d+/);
    expect(upgrade).toBe(true);
  });

  it('sends both for a request a trusted proxy says came over HTTPS', async () => {
    const { hsts, upgrade } = httpsOnlyHeaders(await headersOf(false, true, { 'x-forwarded-proto': 'https' }));
    expect(hsts).toMatch(/max-age=\d+/);
    expect(upgrade).toBe(true);
    // The same proxy forwarding a plain-HTTP request: neither.
    expect(httpsOnlyHeaders(await headersOf(false, true, { 'x-forwarded-proto': 'http' }))).toEqual({
      hsts: null,
      upgrade: false,
    });
  });

  it('ignores X-Forwarded-Proto when the proxy is not trusted', async () => {
    expect(httpsOnlyHeaders(await headersOf(false, false, { 'x-forwarded-proto': 'https' }))).toEqual({
      hsts: null,
      upgrade: false,
    });
  });
});
