import { envForChild } from '@sluice/core';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, spawnTimeout } from './helpers/eventually';
import { waitForRun } from './helpers/runs';
import { startTestApp, TestApp } from './helpers/test-app';
import { query } from './helpers/test-env';

const ROOT = join(__dirname, '..');
const ADMIN = { email: 'admin@acme.test', password: 'acme-admin-password' };
const FILES = 15_000;

describe('a worker killed in the middle of a sync (e2e, built worker)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
  let t: TestApp;
  let worker: ChildProcess | undefined;

  let output = '';
  const startWorker = () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/apps/worker/src/main.js')], {
      cwd: folder,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...envForChild(t.env), LOG_LEVEL: 'warn' },
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    return child;
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-if-needed.js')], { cwd: ROOT, stdio: 'ignore' });
    // Spread over folders so the walk takes a while and there is a middle to kill it in.
    for (let d = 0; d < 30; d++) {
      mkdirSync(join(folder, 'files', `d${d}`), { recursive: true });
      for (let i = 0; i < FILES / 30; i++) writeFileSync(join(folder, 'files', `d${d}`, `f${i}.txt`), `${d}-${i}`);
    }
    t = await startTestApp({
      FOLDER_ALLOWED_ROOTS: join(folder, 'files'),
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
    });
  }, 180_000);
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it(
    'finishes the run after a restart, with one document per file and no duplicates',
    async () => {
      const token = await t.http.login(ADMIN.email, ADMIN.password);
      const connector = await t.http.post(
        '/api/v1/connectors',
        { name: 'Crash test', type: 'folder', config: { path: join(folder, 'files') } },
        { token },
      );
      const id = connector.body.id;
      worker = startWorker();
      const started = await t.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token });
      const runUrl = `/api/v1/connectors/${id}/runs/${started.body.id}`;

      // Listen before killing: the exit may come before the next line runs.
      const exited = new Promise((r) => worker!.once('exit', r));
      // The spawned worker boots first (seconds on a loaded machine), then walks the folder.
      const running = await eventually(
        async () => (await t.http.get(runUrl, { token })).body,
        (current) => current.status === 'running' && current.progress.processed > 0,
        60_000,
        { intervalMs: 25, what: 'the spawned worker to be in the middle of the sync' },
      );
      worker.kill('SIGKILL');
      const killedAt: number = running.progress.processed;
      expect(killedAt).toBeGreaterThan(0);
      expect(killedAt).toBeLessThan(FILES);
      await exited;

      worker = startWorker();
      const final = await waitForRun(t.http, token, id, started.body.id, 120_000);
      // The worker's own warnings (if any) explain a failure better than the status alone.
      expect({ status: final.status, output: final.status === 'succeeded' ? '' : output }).toEqual({
        status: 'succeeded',
        output: '',
      });
      const [counts] = await query<{ total: number; distinct: number }>(
        t.env.DATABASE_URL!,
        'SELECT count(*)::int AS total, count(DISTINCT external_id)::int AS distinct FROM documents WHERE connector_id = $1',
        [id],
      );
      expect(counts).toEqual({ total: FILES, distinct: FILES });
      // Two worker processes spawned, a 15,000-file sync and a stalled-job hand-over.
    },
    spawnTimeout(2, 180_000),
  );
});
