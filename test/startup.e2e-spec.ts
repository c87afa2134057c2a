import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { eventually, scaled, spawnTimeout } from './helpers/eventually';
import { clearRedisPrefix, dropDatabase, freePort, query, testVariables } from './helpers/test-env';

const ROOT = join(__dirname, '..');
const API_MAIN = join(ROOT, 'dist/apps/api/src/main.js');
const CLI_MAIN = join(ROOT, 'dist/apps/cli/src/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Only what a fresh shell would have, so nothing from the test runner's environment leaks in. */
function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...vars };
}

function runToExit(script: string, args: string[], vars: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: cleanEnv(vars) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('processes (e2e, built apps)', () => {
  let cwd: string;

  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-if-needed.js')], { cwd: ROOT, stdio: 'ignore' });
    cwd = mkdtempSync(join(tmpdir(), 'sluice-start-'));
  }, 180_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it.each([
    ['a malformed DATABASE_URL', { DATABASE_URL: 'postgres//missing-colon' }, 'DATABASE_URL'],
    ['a non-PostgreSQL DATABASE_URL', { DATABASE_URL: 'mysql://root@127.0.0.1/sluice' }, 'DATABASE_URL'],
    ['a 16-byte ENCRYPTION_KEY', { ENCRYPTION_KEY: randomBytes(16).toString('base64') }, 'ENCRYPTION_KEY'],
    ['a short JWT_SECRET', { JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [
      'a default admin password in production',
      { NODE_ENV: 'production', BOOTSTRAP_ADMIN_PASSWORD: 'sluice-admin-password' },
      'BOOTSTRAP_ADMIN_PASSWORD',
    ],
  ])(
    'exits non-zero naming the variable for %s',
    async (_, bad, variable) => {
      const run = await runToExit(API_MAIN, [], { ...testVariables(), ...bad }, cwd);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${variable}:`);
      expect(run.stderr).not.toMatch(/\n\s+at /); // a list of problems, not a stack trace
    },
    spawnTimeout(1),
  );

  it(
    'exits non-zero with instructions when Redis is unreachable',
    async () => {
      const vars = testVariables({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      try {
        const run = await runToExit(API_MAIN, [], vars, cwd);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(
          /Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+\. Start one .* or set REDIS_URL/,
        );
      } finally {
        await dropDatabase(vars.DATABASE_URL);
      }
    },
    spawnTimeout(1),
  );

  describe('admin CLI', () => {
    // A database of its own for each test, so each stands alone.
    let vars = testVariables();
    const cli = (...args: string[]) => runToExit(CLI_MAIN, args, vars, cwd);
    const sql = <T>(text: string, params: unknown[] = []) => query<T>(vars.DATABASE_URL, text, params);
    beforeEach(() => {
      vars = testVariables();
    });
    afterEach(() => dropDatabase(vars.DATABASE_URL));

    it(
      'migrates, creates a tenant with its admin, adds a user and issues an API key',
      async () => {
        expect((await cli('migrate')).code).toBe(0);
        const tenant = await cli(
          'tenant',
          'create',
          '--name',
          'Globex',
          '--admin-email',
          'boss@globex.test',
          '--admin-password',
          'globex-passphrase',
        );
        expect(tenant.code).toBe(0);
        const { tenantId, adminUserId } = JSON.parse(tenant.stdout);
        expect(tenantId).toMatch(/^ten_/);

        const user = await cli(
          'user',
          'create',
          '--tenant',
          'Globex',
          '--email',
          'ann@globex.test',
          '--password',
          'ann-passphrase',
          '--role',
          'viewer',
        );
        expect(user.code).toBe(0);
        const key = await cli('api-key', 'create', '--tenant', tenantId, '--name', 'ci', '--role', 'editor');
        expect(key.code).toBe(0);
        const issued = JSON.parse(key.stdout);
        expect(issued.key).toMatch(/^sk_/);

        const members = await sql<{ email: string; role: string }>(
          'SELECT u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 ORDER BY u.email',
          [tenantId],
        );
        expect(members).toEqual([
          { email: 'ann@globex.test', role: 'viewer' },
          { email: 'boss@globex.test', role: 'admin' },
        ]);
        const [stored] = await sql<{ key_hash: string; role: string }>(
          'SELECT key_hash, role FROM api_keys WHERE id = $1',
          [issued.id],
        );
        expect(stored.role).toBe('editor');
        expect(stored.key_hash).not.toContain(issued.key);
        const [admin] = await sql<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [
          adminUserId,
        ]);
        expect(admin.password_hash).toMatch(/^\$argon2id\$/);
      },
      spawnTimeout(4),
    );

    it(
      'explains usage mistakes with exit code 2, and a failure (an existing tenant) with 1',
      async () => {
        expect((await cli('migrate')).code).toBe(0);
        const globex = [
          '--name',
          'Globex',
          '--admin-email',
          'boss@globex.test',
          '--admin-password',
          'globex-passphrase',
        ];
        expect((await cli('tenant', 'create', ...globex)).code).toBe(0);
        const missing = await cli('user', 'create', '--tenant', 'Globex');
        expect(missing.code).toBe(2);
        expect(missing.stderr).toContain('missing --email, --password, --role');
        const badRole = await cli('api-key', 'create', '--tenant', 'Globex', '--name', 'x', '--role', 'owner');
        expect(badRole.code).toBe(2);
        expect(badRole.stderr).toContain('--role must be one of admin, editor, viewer');
        expect((await cli('frobnicate')).code).toBe(2);
        expect(
          (
            await cli(
              'tenant',
              'create',
              '--name',
              'Globex',
              '--admin-email',
              'x@y.test',
              '--admin-password',
              'long-enough-pw',
            )
          ).code,
        ).toBe(1);
      },
      spawnTimeout(7),
    );
  });

  describe('`start` (the README start command after the build)', () => {
    let child: ChildProcess;
    let output = '';
    const vars = testVariables();

    afterAll(async () => {
      if (child && child.exitCode === null) child.kill('SIGKILL');
      await dropDatabase(vars.DATABASE_URL);
      await clearRedisPrefix(vars.REDIS_KEY_PREFIX);
    });

    it(
      'serves readiness, Swagger UI and a bootstrap admin login, runs the worker, and stops on SIGTERM',
      async () => {
        // The bootstrap admin of .env.example, as a newcomer would use it.
        const example = parseEnv(readFileSync(join(ROOT, '.env.example'), 'utf8'));
        const port = await freePort();
        const { BOOTSTRAP_ADMIN_EMAIL: _e, BOOTSTRAP_ADMIN_PASSWORD: _p, BOOTSTRAP_TENANT: _t, ...rest } = vars;
        child = spawn(process.execPath, [CLI_MAIN, 'start'], {
          cwd,
          env: cleanEnv({ ...rest, PORT: String(port), LOG_LEVEL: 'info' }),
        });
        child.stdout!.on('data', (d) => (output += d));
        child.stderr!.on('data', (d) => (output += d));

        const base = `http://127.0.0.1:${port}`;
        // `start` migrates, then spawns the API and the worker: up within 90 s (scaled).
        const ready = await eventually(
          () => fetch(`${base}/health/ready`).then((r) => r.status),
          (status) => status === 200,
          90_000,
          { intervalMs: 250, what: 'readiness of the API that `start` runs' },
        );
        expect(ready).toBe(200);

        const login = await fetch(`${base}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: example.BOOTSTRAP_ADMIN_EMAIL, password: example.BOOTSTRAP_ADMIN_PASSWORD }),
        });
        expect(login.status).toBe(200);
        expect(((await login.json()) as { accessToken: unknown }).accessToken).toEqual(expect.any(String));
        const docs = await fetch(`${base}/docs/`);
        expect(docs.status).toBe(200);
        expect(await docs.text()).toContain('swagger-ui');

        await eventually(
          () => output,
          (text) => text.includes('Worker ready'),
          30_000,
          { intervalMs: 250, what: 'the worker started by `start` to say it is ready' },
        );
        expect(output).toContain('Worker ready');
        expect(output).not.toContain(vars.JWT_SECRET);

        const exited = new Promise<number | null>((r) => child.once('exit', r));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        await expect(fetch(`${base}/health/live`)).rejects.toThrow();
        // `start` plus the API and the worker it spawns, up to the 90 s readiness bound.
      },
      scaled(90_000) + spawnTimeout(3),
    );
  });
});
