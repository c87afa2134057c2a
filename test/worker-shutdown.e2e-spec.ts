import { envForChild } from '@sluice/core';
import { INestApplicationContext } from '@nestjs/common';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForRun } from './helpers/runs';
import { startTestApp, TestApp } from './helpers/test-app';
import { query } from './helpers/test-env';
import { startTestWorker } from './helpers/test-worker';

const ROOT = join(__dirname, '..');
const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const FILES = 15_000;

describe('a worker sent SIGTERM in the middle of a sync (e2e, built worker)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'sluice-sigterm-'));
  let t: TestApp;
  let child: ChildProcess | undefined;
  let second: INestApplicationContext | undefined;
  let output = '';

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-if-needed.js')], { cwd: ROOT, stdio: 'ignore' });
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(folder, 'files', `d${d}`), { recursive: true });
      for (let i = 0; i < FILES / 30; i++) writeFileSync(join(folder, 'files', `d${d}`, `f${i}.txt`), `${d}-${i}`);
    }
    t = await startTestApp({ FOLDER_ALLOWED_ROOTS: join(folder, 'files') });
  }, 180_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await second?.close();
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('stops after its current batch, exits 0, and another worker completes the run with nothing lost or doubled', async () => {
    const token = await t.http.login(ADMIN.email, ADMIN.password);
    const connector = await t.http.post(
      '/api/v1/connectors',
      { name: 'Shutdown test', type: 'folder', config: { path: join(folder, 'files') } },
      { token },
    );
    const id = connector.body.id;
    child = spawn(process.execPath, [join(ROOT, 'dist/apps/worker/src/main.js')], {
      cwd: folder,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...envForChild(t.env), LOG_LEVEL: 'warn' },
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const started = await t.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token });
    const runUrl = `/api/v1/connectors/${id}/runs/${started.body.id}`;
    let signalledAt = -1;
    const deadline = Date.now() + 60_000;
    while (signalledAt < 0 && Date.now() < deadline) {
      const current = (await t.http.get(runUrl, { token })).body;
      if (current.status === 'running' && current.progress.processed > 0) {
        child.kill('SIGTERM');
        signalledAt = Date.now();
      } else await sleep(20);
    }
    expect(signalledAt).toBeGreaterThan(0);

    const code = await exited;
    expect({ code, output }).toEqual({ code: 0, output: expect.not.stringMatching(/error/i) });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    // Handed back, not finished and not failed: the walk stopped at a batch boundary.
    const handedBack = (await t.http.get(runUrl, { token })).body;
    expect(handedBack.status).toBe('queued');
    expect(handedBack.progress.processed).toBeGreaterThan(0);
    expect(handedBack.progress.processed).toBeLessThan(FILES);

    second = await startTestWorker(t.env);
    const final = await waitForRun(t.http, token, id, started.body.id);
    expect(final.status).toBe('succeeded');
    const [counts] = await query<{ total: number; distinct: number }>(
      t.env.DATABASE_URL!,
      'SELECT count(*)::int AS total, count(DISTINCT external_id)::int AS distinct FROM documents WHERE connector_id = $1',
      [id],
    );
    expect(counts).toEqual({ total: FILES, distinct: FILES });
  }, 180_000);
});
