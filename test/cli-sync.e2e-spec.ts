import { INestApplicationContext } from '@nestjs/common';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadChinookPostgres } from './helpers/chinook';
import { eventually, spawnTimeout } from './helpers/eventually';
import { createTenant, SEED_ADMIN, SEED_OTHER } from './helpers/seed';
import { startTestApp, TestApp } from './helpers/test-app';
import { startTestWorker } from './helpers/test-worker';
import { dropDatabase, testVariables } from './helpers/test-env';

const ROOT = join(__dirname, '..');
const CLI_MAIN = join(ROOT, 'dist/apps/cli/src/main.js');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  /** What the process has written so far. */
  output(): { stdout: string; stderr: string };
  exited: Promise<Exit>;
}

interface RunLine {
  type: 'progress' | 'final';
  data: { id: string; status: string; error: string | null; progress: { processed: number; total: number | null } };
}

/** The CLI as an operator runs it, under the suite's variables and nothing else from the runner. */
function start(command: string, args: string[], vars: Record<string, string>): Running {
  const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...vars } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Strips colours and cursor moves from what a terminal was sent, and takes redrawn lines apart. */
// eslint-disable-next-line no-control-regex -- escape sequences are exactly what is removed
const plain = (text: string) => text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '\n');

describe('connector sync from the operator CLI (e2e, built CLI and the real worker)', () => {
  const vars = testVariables({ SAFE_NETWORK_ALLOW: '127.0.0.1' });
  const chinookUrl = vars.DATABASE_URL.replace('sluice_test_', 'chinook_cli_');
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  let token: string;
  let connectorId: string;

  const cli = (...args: string[]) => start(process.execPath, [CLI_MAIN, ...args], vars);

  async function createConnector(name: string, database: string): Promise<string> {
    const created = await t.http.post(
      '/api/v1/connectors',
      {
        name,
        type: 'postgresql',
        config: { host: '127.0.0.1', port: 5432, database, user: 'postgres', ssl: { mode: 'disable' } },
        authConfig: { password: 'unused' },
      },
      { token },
    );
    expect(created.status).toBe(201);
    return created.body.id;
  }

  /**
   * Starts `running` with no worker, so the run it starts stays queued until its first change has
   * been written out; then starts the worker and waits for the command to end.
   */
  async function withWorkerLate(running: Running, firstChange: RegExp): Promise<Exit> {
    await eventually(
      () => running.output().stdout,
      (out) => firstChange.test(plain(out)),
      // The CLI boots Node, Nest and its connections first: seconds on a loaded machine.
      90_000,
      { what: 'the CLI to show the queued run' },
    );
    worker = await startTestWorker(t.env);
    return running.exited;
  }

  async function stopWorker(): Promise<void> {
    await worker?.close();
    worker = undefined;
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-if-needed.js')], { cwd: ROOT, stdio: 'ignore' });
    await loadChinookPostgres(chinookUrl);
    // The suite's variables in full, so the API, the worker and the CLI share one database and prefix.
    t = await startTestApp(vars);
    token = await t.http.login(SEED_ADMIN.email, SEED_ADMIN.password);
    connectorId = await createConnector('Chinook', new URL(chinookUrl).pathname.slice(1));
  }, 180_000);
  afterAll(async () => {
    await stopWorker();
    await t?.close();
    await dropDatabase(chinookUrl);
  });

  it(
    'follows a sync as JSON lines: counts that only grow, ending with the succeeded run, exit 0',
    async () => {
      await stopWorker();
      const running = cli('connector', 'sync', connectorId, '--tenant', 'Acme', '--follow', '--json');
      const exit = await withWorkerLate(running, /"type":"progress"/);
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);

      const lines = exit.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as RunLine);
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines[0]).toMatchObject({ type: 'progress', data: { status: 'queued', progress: { processed: 0 } } });
      const counts = lines.map((l) => l.data.progress.processed);
      counts.slice(1).forEach((n, i) => expect(n).toBeGreaterThanOrEqual(counts[i]));
      expect(counts.at(-1)!).toBeGreaterThan(counts[0]);
      expect(lines.slice(0, -1).every((l) => l.type === 'progress')).toBe(true);
      expect(lines.at(-1)).toMatchObject({
        type: 'final',
        data: { status: 'succeeded', error: null, progress: { processed: 11, total: 11 } },
      });
      expect(new Set(lines.map((l) => l.data.id)).size).toBe(1);

      // The run the CLI started is the one the API lists, done by the worker.
      const run = await t.http.get(`/api/v1/connectors/${connectorId}/runs/${lines[0].data.id}`, { token });
      expect(run.body).toMatchObject({ status: 'succeeded', progress: { processed: 11, created: 11 } });
    },
    spawnTimeout(2, 60_000),
  );

  it(
    'draws a live bar on a terminal: counts, rate and ETA, then the final state line',
    async () => {
      await stopWorker();
      const command = [process.execPath, CLI_MAIN, 'connector', 'sync', connectorId, '--tenant', 'Acme', '--follow'];
      // util-linux script gives the CLI a pseudo-terminal and exits with its exit code (-e).
      const running = start('script', ['-qfec', command.join(' '), '/dev/null'], vars);
      const exit = await withWorkerLate(running, /queued .* 0\/~11 items/);
      expect(exit.code).toBe(0);
      const screen = plain(exit.stdout);
      // Until this run knows its total, the previous run's 11 stands in for it.
      expect(screen).toMatch(/queued\s+\S+\s+0% \| 0\/~11 items \| -\/s \| ETA \?/);
      expect(screen).toMatch(/succeeded\s+\S+\s+100% \| 11\/11 items \| (?:[\d.]+|-)\/s \| ETA/);
      expect(screen).toMatch(/Sync run_\w+ succeeded in [\d.]+ m?s: 11 processed \(0 created, 0 updated, 11 unchanged/);
      // A bar, drawn in place: the cursor is hidden while it runs and shown again after.
      expect(exit.stdout).toContain('\x1b[?25l');
      expect(exit.stdout).toContain('\x1b[?25h');
    },
    spawnTimeout(2, 60_000),
  );

  it(
    'prints the run and returns without --follow; a second sync while one is queued follows that one',
    async () => {
      await stopWorker();
      const started = await cli('connector', 'sync', connectorId, '--tenant', 'Acme', '--force', '--json').exited;
      expect(started.code).toBe(0);
      const run = JSON.parse(started.stdout);
      expect(run).toMatchObject({ connectorId, status: 'queued', force: true });

      const again = cli('connector', 'sync', connectorId, '--tenant', 'Acme', '--follow', '--json');
      const exit = await withWorkerLate(again, /"type":"progress"/);
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain(`A sync of ${connectorId} is already queued: following ${run.id}`);
      const last = JSON.parse(exit.stdout.trim().split('\n').at(-1)!) as RunLine;
      expect(last.data).toMatchObject({ id: run.id, status: 'succeeded', progress: { processed: 11 } });
    },
    spawnTimeout(3, 60_000),
  );

  it(
    'leaves the run to the worker on Ctrl-C (exit 130); a stop ends it cancelled and its follower exits 1',
    async () => {
      await stopWorker();
      const showsRun = (out: string) => out.includes('"type":"progress"');
      const first = cli('connector', 'sync', connectorId, '--tenant', 'Acme', '--follow', '--json');
      await eventually(() => first.output().stdout, showsRun, 90_000);
      first.child.kill('SIGINT');
      const detached = await first.exited;
      expect(detached.code).toBe(130);
      const runId = (JSON.parse(detached.stdout.split('\n')[0]) as RunLine).data.id;
      expect(detached.stderr).toContain(`Stopped following. Sync ${runId} goes on in the worker`);
      expect(detached.stderr).toContain(`npm run cli -- connector stop ${connectorId} --tenant Acme`);
      const left = await t.http.get(`/api/v1/connectors/${connectorId}/runs/${runId}`, { token });
      expect(left.body.status).toBe('queued');

      const following = cli('connector', 'sync', connectorId, '--tenant', 'Acme', '--follow', '--json');
      await eventually(() => following.output().stdout, showsRun, 90_000);
      const stopped = await cli('connector', 'stop', connectorId, '--tenant', 'Acme', '--json').exited;
      expect(stopped.code).toBe(0);
      expect(JSON.parse(stopped.stdout)).toMatchObject({ status: 'cancelled', cancelRequested: true });

      const exit = await following.exited;
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain(`Sync ${runId} was cancelled`);
      expect(JSON.parse(exit.stdout.trim().split('\n').at(-1)!)).toMatchObject({
        type: 'final',
        data: { status: 'cancelled' },
      });

      const nothing = await cli('connector', 'stop', connectorId, '--tenant', 'Acme').exited;
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toMatch(/No sync of this connector is queued or running \(NOTHING_RUNNING\)/);
    },
    spawnTimeout(5, 60_000),
  );

  it(
    'exits 1 with the reason when the run fails: its database does not exist',
    async () => {
      worker ??= await startTestWorker(t.env);
      const missing = await createConnector('Gone', `${new URL(chinookUrl).pathname.slice(1)}_missing`);
      const exit = await cli('connector', 'sync', missing, '--tenant', 'Acme', '--follow').exited;
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/Sync run_\w+ failed: .*does not exist/);
      // Not a terminal: a plain line per change, then the final state.
      expect(exit.stdout).toMatch(/Sync run_\w+ failed in [\d.]+ m?s: 0 processed/);
      expect(exit.stdout).not.toContain('\x1b[');
      const runs = await t.http.get(`/api/v1/connectors/${missing}/runs`, { token });
      expect(runs.body.data[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('does not exist') });
    },
    spawnTimeout(2, 60_000),
  );

  it(
    "refuses an unknown connector and another tenant's connector by name, exit 1, starting nothing",
    async () => {
      await createTenant(t, SEED_OTHER);
      const before = (await t.http.get(`/api/v1/connectors/${connectorId}/runs`, { token })).body.pagination.total;

      const unknown = await cli('connector', 'sync', 'con_nothere', '--tenant', 'Acme', '--follow').exited;
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no connector con_nothere in tenant Acme (CONNECTOR_NOT_FOUND)');
      expect(unknown.stderr).not.toMatch(/\n\s+at /);

      const other = await cli('connector', 'sync', connectorId, '--tenant', SEED_OTHER.name).exited;
      expect(other.code).toBe(1);
      expect(other.stderr).toContain(`no connector ${connectorId} in tenant ${SEED_OTHER.name} (CONNECTOR_NOT_FOUND)`);

      const after = (await t.http.get(`/api/v1/connectors/${connectorId}/runs`, { token })).body.pagination.total;
      expect(after).toBe(before);
    },
    spawnTimeout(2),
  );

  it.each([
    ['no connector id', ['connector', 'sync', '--tenant', 'Acme'], 'connector sync needs a connector id'],
    ['no tenant', ['connector', 'sync', 'con_x', '--follow'], 'missing --tenant'],
    ['an unknown option', ['connector', 'sync', 'con_x', '--tenant', 'Acme', '--fllow'], "Unknown option '--fllow'"],
    ['an unknown tenant', ['connector', 'sync', 'con_x', '--tenant', 'Nobody'], 'no tenant "Nobody"'],
    [
      '--follow on stop',
      ['connector', 'stop', 'con_x', '--tenant', 'Acme', '--follow'],
      'takes no --force or --follow',
    ],
  ])(
    'exits 2 with the usage for %s',
    async (_, args, message) => {
      const exit = await cli(...args).exited;
      expect(exit.code).toBe(2);
      expect(exit.stderr).toContain(message);
      expect(exit.stderr).toContain('connector sync <connectorId> --tenant T');
    },
    spawnTimeout(1),
  );
});
