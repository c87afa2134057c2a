import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { startTestApp, TestApp } from './helpers/test-app';

const ROOT = join(__dirname, '..');
const SECTION = '## First connector: a database on this machine';

/** The bash blocks of the README's first-connector section, in order. */
function readmeBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(SECTION);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Runs a README snippet as a user would paste it, against the test app instead of localhost:3000. */
function runScript(script: string, baseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const pointed = script.replaceAll('localhost:3000', baseUrl.replace(/^http:\/\//, ''));
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${pointed}`]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The first start's admin, as `npm start` creates it from .env.example. */
function exampleAdmin(): Record<string, string> {
  const example = parseEnv(readFileSync(join(ROOT, '.env.example'), 'utf8'));
  return {
    BOOTSTRAP_TENANT: example.BOOTSTRAP_TENANT!,
    BOOTSTRAP_ADMIN_EMAIL: example.BOOTSTRAP_ADMIN_EMAIL!,
    BOOTSTRAP_ADMIN_PASSWORD: example.BOOTSTRAP_ADMIN_PASSWORD!,
  };
}

describe("the README's first connector (e2e)", () => {
  const [settings, script] = readmeBlocks();
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('has a setting and a script', () => {
    expect(parseEnv(settings)).toEqual({ SAFE_NETWORK_ALLOW: '127.0.0.1' });
    expect(script).toContain('"ssl":{"mode":"disable"}');
  });

  it('without the setting, the refusal names the very line the README shows', async () => {
    t = await startTestApp(exampleAdmin());
    const refused = await runScript(script, t.baseUrl);
    expect(refused.code).toBe(0);
    const answer = JSON.parse(refused.stdout.trim().split('\n').pop()!);
    expect(answer).toMatchObject({ statusCode: 422, code: 'ADDRESS_REFUSED' });
    expect(answer.error).toContain(`set ${settings.trim()} `);
  });

  it('with the setting, the script runs as written and the connector is active', async () => {
    t = await startTestApp({ ...exampleAdmin(), ...parseEnv(settings) } as Record<string, string>);
    const run = await runScript(script, t.baseUrl);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const answer = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(answer).toMatchObject({ success: true, status: 'active', lastError: null });
    expect(answer.message).toMatch(/^Connected to PostgreSQL \d+/);
  });
});
