import { ALL_QUEUES } from '@sluice/core';
import { INestApplicationContext } from '@nestjs/common';
import { sign } from 'jsonwebtoken';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser';
import { waitForRun } from './helpers/runs';
import { seed } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';

const BOARD = '/admin/queues';
const COOKIE = 'sluice_dashboard';

/** The value of the dashboard cookie in a Set-Cookie header. */
const cookieValue = (setCookie: string | null): string => new RegExp(`${COOKIE}=([^;]+)`).exec(setCookie ?? '')![1];

describe('queue dashboard at /admin/queues (e2e)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-dashboard-'));
  let t: TestApp;
  let worker: INestApplicationContext;
  let browser: Browser;
  let adminToken: string;
  let runId: string;
  let editor: { id: string; token: string };
  let globexToken: string;

  async function createUser(role: 'admin' | 'editor', email: string) {
    const res = await t.http.post(
      '/api/v1/users',
      { email, password: 'a-long-passphrase', role },
      { token: adminToken },
    );
    expect(res.status).toBe(201);
    // The answer is the invitation; the first sign-in accepts it.
    const token = await t.http.login(email, 'a-long-passphrase');
    return { id: (await t.http.get('/api/v1/auth/me', { token })).body.user.id as string, token };
  }

  /** Opens a dashboard session over HTTP and returns the cookie's value. */
  async function openSession(token: string): Promise<string> {
    const res = await t.http.post('/api/v1/auth/dashboard-session', undefined, { token });
    expect(res.status).toBe(200);
    return cookieValue(res.headers.get('set-cookie'));
  }

  const boardApi = (headers: Record<string, string>) => t.http.get(`${BOARD}/api/queues`, { headers });

  /** A page in a fresh browser context (no cookies), recording Content-Security-Policy violations. */
  async function freshPage(): Promise<{ page: Page; cspViolations: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    return { page, cspViolations };
  }

  beforeAll(async () => {
    writeFileSync(join(root, 'a.txt'), 'alpha\n');
    writeFileSync(join(root, 'b.txt'), 'beta\n');
    t = await startTestApp({ FOLDER_ALLOWED_ROOTS: root });
    worker = await startTestWorker(t.env);
    const seeded = await seed(t);
    adminToken = seeded.tenant.admin.token;
    editor = seeded.tenant.editor;
    globexToken = seeded.other.admin.token;
    const connector = await t.http.post(
      '/api/v1/connectors',
      { name: 'Files', type: 'folder', config: { path: root } },
      { token: adminToken },
    );
    expect(connector.status).toBe(201);
    const started = await t.http.post(`/api/v1/connectors/${connector.body.id}/sync`, undefined, {
      token: adminToken,
    });
    expect(started.status).toBe(202);
    runId = started.body.id;
    expect((await waitForRun(t.http, adminToken, connector.body.id, runId)).status).toBe('succeeded');

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives an admin of the operator tenant an HttpOnly, SameSite=Strict cookie for /admin/queues only', async () => {
    const before = Date.now();
    const res = await t.http.post('/api/v1/auth/dashboard-session', undefined, { token: adminToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ url: BOARD, expiresAt: expect.any(String) });
    const expiresIn = Date.parse(res.body.expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(899_000);
    expect(expiresIn).toBeLessThan(905_000);

    const attributes = res.headers
      .get('set-cookie')!
      .split(';')
      .map((a) => a.trim().toLowerCase());
    expect(attributes[0]).toMatch(new RegExp(`^${COOKIE}=ey`));
    expect(attributes).toEqual(
      expect.arrayContaining(['httponly', 'samesite=strict', 'path=/admin/queues', 'max-age=900']),
    );
    // Secure only when NODE_ENV=production: the tests speak plain HTTP.
    expect(attributes).not.toContain('secure');
  });

  it('shows the queues and a completed sync job to an admin in Chromium', async () => {
    const { page, cspViolations } = await freshPage();
    const refused = await page.goto(`${t.baseUrl}${BOARD}`);
    expect(refused?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('POST /api/v1/auth/dashboard-session');

    // The flow a person follows: call the route from the page, with the access token, then reload.
    const status = await page.evaluate(async (token) => {
      const res = await fetch('/api/v1/auth/dashboard-session', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      return res.status;
    }, adminToken);
    expect(status).toBe(200);
    const cookies = await page.context().cookies(`${t.baseUrl}${BOARD}`);
    expect(cookies).toEqual([
      expect.objectContaining({ name: COOKIE, httpOnly: true, sameSite: 'Strict', path: BOARD }),
    ]);

    const board = await page.goto(`${t.baseUrl}${BOARD}`);
    expect(board?.status()).toBe(200);
    for (const queue of ALL_QUEUES) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
    }

    await page.goto(`${t.baseUrl}${BOARD}/queue/connector-sync?status=completed`);
    await page.getByText(runId).first().waitFor({ timeout: 15_000 });
    expect(await page.textContent('body')).toMatch(/completed/i);
    // Only the board's request for Google Fonts is refused: the dashboard reaches no other site.
    expect(cspViolations.every((text) => text.includes('fonts.googleapis.com'))).toBe(true);
    await page.context().close();
  });

  it('refuses an editor: 403 for a session, and the page without a cookie shows no board', async () => {
    const res = await t.http.post('/api/v1/auth/dashboard-session', undefined, { token: editor.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
    expect(res.headers.get('set-cookie')).toBeNull();

    const { page } = await freshPage();
    const visit = await page.goto(`${t.baseUrl}${BOARD}`);
    expect(visit?.status()).toBe(401);
    const text = await page.textContent('body');
    expect(text).toContain('POST /api/v1/auth/dashboard-session');
    expect(text).not.toContain('connector-sync');
    await page.context().close();

    // The bearer route for curl holds them to the same rule.
    const viaBearer = await boardApi({ authorization: `Bearer ${editor.token}` });
    expect(viaBearer.status).toBe(403);
    expect(viaBearer.body.code).toBe('DASHBOARD_FORBIDDEN');
  });

  it.each([
    ['GET', BOARD],
    ['GET', `${BOARD}/`],
    ['GET', `${BOARD}/queue/connector-sync`],
    ['GET', `${BOARD}/api/queues`],
    ['GET', `${BOARD}/static/images/logo.svg`],
    ['PUT', `${BOARD}/api/queues/connector-sync/clean/completed`],
    ['PUT', `${BOARD}/api/queues/connector-sync/pause`],
  ])('refuses an anonymous %s %s with 401 and the usual error body', async (method, path) => {
    const res = await t.http.request(method, path);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: expect.stringContaining('POST /api/v1/auth/dashboard-session'),
      code: 'DASHBOARD_UNAUTHORIZED',
      requestId: expect.stringMatching(/^req_/),
    });
  });

  it('answers a browser with a short HTML page saying how to get in', async () => {
    const res = await t.http.get(BOARD, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('POST /api/v1/auth/dashboard-session');
    expect(res.text).not.toContain('__UI_CONFIG__');
  });

  it('refuses an admin of another tenant with 403 DASHBOARD_FORBIDDEN', async () => {
    const res = await t.http.post('/api/v1/auth/dashboard-session', undefined, { token: globexToken });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('DASHBOARD_FORBIDDEN');
    expect(res.body.error).toContain('DASHBOARD_TENANT');
    expect(res.headers.get('set-cookie')).toBeNull();
    const viaBearer = await boardApi({ authorization: `Bearer ${globexToken}` });
    expect(viaBearer.status).toBe(403);
    expect(viaBearer.body.code).toBe('DASHBOARD_FORBIDDEN');
  });

  it('opens no session for an API key, which stands for a tenant rather than a person', async () => {
    const key = await t.http.post('/api/v1/api-keys', { name: 'ops', role: 'admin' }, { token: adminToken });
    expect(key.status).toBe(201);
    const res = await t.http.post('/api/v1/auth/dashboard-session', undefined, { token: key.body.key });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('DASHBOARD_NEEDS_USER');
    expect((await boardApi({ authorization: `Bearer ${key.body.key}` })).status).toBe(401);
  });

  it('opens the board API with the cookie or, for curl, an admin access token', async () => {
    const cookie = await openSession(adminToken);
    const ways: Array<Record<string, string>> = [
      { cookie: `${COOKIE}=${cookie}` },
      { authorization: `Bearer ${adminToken}` },
    ];
    for (const headers of ways) {
      const res = await boardApi(headers);
      expect(res.status).toBe(200);
      const names = (res.body.queues as Array<{ name: string }>).map((q) => q.name).sort();
      expect(names).toEqual([...ALL_QUEUES].sort());
    }
  });

  it('keeps dashboard tokens and API access tokens apart', async () => {
    const cookie = await openSession(adminToken);
    const asBearer = await t.http.get('/api/v1/auth/me', { token: cookie });
    expect(asBearer.status).toBe(401);
    expect(asBearer.body.code).toBe('TOKEN_INVALID');
    const asCookie = await boardApi({ cookie: `${COOKIE}=${adminToken}` });
    expect(asCookie.status).toBe(401);
    expect(asCookie.body.code).toBe('DASHBOARD_SESSION_INVALID');
    // A dashboard token as the bearer of the board is no access token either.
    expect((await boardApi({ authorization: `Bearer ${cookie}` })).status).toBe(401);
  });

  it('refuses a forged or an expired cookie', async () => {
    const { sub, tid } = JSON.parse(Buffer.from(adminToken.split('.')[1], 'base64url').toString());
    const claims = { sub, tid, typ: 'dashboard' };
    const options = { issuer: 'sluice', audience: 'sluice-dashboard' };
    const forged = sign(claims, 'another-secret-another-secret-another', { ...options, expiresIn: 600 });
    const expired = sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, t.env.JWT_SECRET, options);
    const forgedRes = await boardApi({ cookie: `${COOKIE}=${forged}` });
    expect(forgedRes.status).toBe(401);
    expect(forgedRes.body.code).toBe('DASHBOARD_SESSION_INVALID');
    const expiredRes = await boardApi({ cookie: `${COOKIE}=${expired}` });
    expect(expiredRes.status).toBe(401);
    expect(expiredRes.body.code).toBe('DASHBOARD_SESSION_EXPIRED');
  });

  it('takes the board from an admin demoted after opening a session, at once', async () => {
    const second = await createUser('admin', 'ada@acme.test');
    const cookie = await openSession(second.token);
    expect((await boardApi({ cookie: `${COOKIE}=${cookie}` })).status).toBe(200);

    const demoted = await t.http.put(`/api/v1/users/${second.id}`, { role: 'editor' }, { token: adminToken });
    expect(demoted.status).toBe(200);
    const res = await boardApi({ cookie: `${COOKIE}=${cookie}` });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('DASHBOARD_FORBIDDEN');
    const page = await t.http.get(BOARD, { headers: { cookie: `${COOKIE}=${cookie}`, accept: 'text/html' } });
    expect(page.status).toBe(403);
    expect(page.text).toContain('DASHBOARD_TENANT');
  });

  it('clears the cookie on DELETE', async () => {
    const res = await t.http.delete('/api/v1/auth/dashboard-session', { token: adminToken });
    expect(res.status).toBe(204);
    const setCookie = res.headers.get('set-cookie')!.toLowerCase();
    expect(setCookie).toMatch(new RegExp(`^${COOKIE}=;`));
    expect(setCookie).toContain('path=/admin/queues');
    expect(setCookie).toContain('expires=thu, 01 jan 1970');
  });

  it('lives outside /api/v1 under the same Content-Security-Policy as the API', async () => {
    expect((await t.http.get(`/api/v1${BOARD}`, { token: adminToken })).status).toBe(404);
    const board = await t.http.get(BOARD, { token: adminToken });
    expect(board.status).toBe(200);
    expect(board.text).toContain('__UI_CONFIG__');
    const api = await t.http.get('/api/v1/auth/me', { token: adminToken });
    expect(board.headers.get('content-security-policy')).toBe(api.headers.get('content-security-policy'));
    expect(board.headers.get('content-security-policy')).not.toContain('googleapis');
  });
});
