import { INestApplicationContext } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaled } from './helpers/eventually';
import { FakeOpenAi } from './helpers/fake-openai';
import { startTestApp, TestApp } from './helpers/test-app';
import { dropDatabase, testVariables } from './helpers/test-env';
import { startTestWorker } from './helpers/test-worker';

jest.setTimeout(scaled(180_000));

const ROOT = join(__dirname, '..');
const TOP_GENRES =
  'SELECT g.name, count(*) AS tracks FROM genre g JOIN track t ON t.genre_id = g.genre_id ' +
  'GROUP BY g.name ORDER BY tracks DESC LIMIT 5';

/** The shell script between the tour markers of the README, without its code fence. */
function readmeTour(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- tour:start -->\n```bash\n([\s\S]*?)```\n<!-- tour:end -->/.exec(readme);
  if (!block) throw new Error('README.md has no tour between <!-- tour:start --> and <!-- tour:end -->');
  return block[1];
}

function runBash(script: string, env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

describe("the README's first-hour tour, run as a script (e2e)", () => {
  const llm = new FakeOpenAi();
  const storage = mkdtempSync(join(tmpdir(), 'sluice-tour-'));
  const demoUrl = testVariables().DATABASE_URL;
  const demoDb = new URL(demoUrl).pathname.slice(1);
  let t: TestApp;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    await llm.start();
    // The first admin the README names (npm start creates it from the BOOTSTRAP_* defaults).
    t = await startTestApp({
      SAFE_NETWORK_ALLOW: '127.0.0.1',
      STORAGE_DIR: storage,
      LLM_MAX_RETRIES: '0',
      BOOTSTRAP_TENANT: 'Default',
      BOOTSTRAP_ADMIN_EMAIL: 'admin@sluice.local',
      BOOTSTRAP_ADMIN_PASSWORD: 'sluice-admin-password',
    });
    worker = await startTestWorker(t.env);
  });

  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await llm.stop();
    await dropDatabase(demoUrl);
    rmSync(storage, { recursive: true, force: true });
  });

  it('goes from a local database to an answered, explained and promoted question, and a CSV upload', async () => {
    llm.reply(
      `Here is the query:\n\`\`\`sql\n${TOP_GENRES}\n\`\`\``,
      JSON.stringify({ markdown: 'Counts the **tracks** of each genre and keeps the top five.', steps: [] }),
    );
    const { code, out, err } = await runBash(readmeTour(), {
      API: `${t.baseUrl}/api/v1`,
      DEMO_DB: demoDb,
      LLM_BASE_URL: llm.baseUrl,
      LLM_MODEL: 'scripted',
      OPENAI_API_KEY: 'sk-tour-key',
    });
    if (code !== 0) throw new Error(`the tour failed (exit ${code}):\n${err}\n--- output so far:\n${out}`);
    expect(err).toBe('');

    // Each step printed what the README says it shows.
    expect(out).toMatch(/"success": true,\s+"status": "active"/);
    expect(out).toMatch(/"status": "succeeded",\s+"progress": \{[^}]*"processed": 11/);
    for (const table of ['album', 'artist', 'genre', 'invoice', 'track'])
      expect(out).toMatch(new RegExp(`^${table}$`, 'm'));
    expect(out).toMatch(/^invoice_line: 5 columns$/m);
    expect(out).toMatch(/"table": "public.invoice",\s+"column": "total"/);
    expect(out).toMatch(/"provider": "openai",\s+"model": "scripted"/);
    expect(out).toMatch(/"Rock",\s+1297/);
    expect(out).toMatch(/"chart": "bar"/);
    expect(out).toContain('Counts the **tracks** of each genre and keeps the top five.');
    expect(out).toMatch(/"question": "Which five genres have the most tracks\?",\s+"ok": true,\s+"rowCount": 5/);
    expect(out).toMatch(/"id": "ex_\w+",\s+"question": "Which five genres have the most tracks\?"/);
    expect(out).toMatch(/"status": "active"\s*}\s*{\s*"content": "1,Ada,UK\\n2,Grace,US"\s*}\s*$/);
    expect(llm.requests.map((r) => r.model)).toEqual(['scripted', 'scripted']);
  });
});
