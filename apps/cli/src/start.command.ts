import { createLogger, loadEnvOrExit, prepareRuntime, packageInfo, envForChild, readEnvironment } from '@sluice/core';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureEnvFile } from './env-file';

/**
 * `sluice start`: the API and the worker together, for a newcomer's single command. The
 * database is prepared once here (starting an embedded server if there is none) and both
 * children get its URL. If either child dies, the other is stopped and the command fails.
 */
export async function startAll(): Promise<void> {
  const { root } = packageInfo();
  const raw = readEnvironment(root);
  if (!raw.JWT_SECRET && !raw.ENCRYPTION_KEY && ensureEnvFile(root)) {
    process.stdout.write('Created .env from .env.example with generated secrets.\n');
  }
  const env = loadEnvOrExit(readEnvironment(root));
  const logger = createLogger(env);
  const db = await prepareRuntime(env, logger);
  const childEnv = { ...process.env, ...envForChild(env) };
  const children: ChildProcess[] = ['api', 'worker'].map((app) =>
    spawn(process.execPath, [join(root, 'dist', 'apps', app, 'src', 'main.js')], { env: childEnv, stdio: 'inherit' }),
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await db.stop?.();
    process.exit(code);
  };
  for (const child of children) child.once('exit', (code) => void stop(code ?? 1));
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
}
