import type Redis from 'ioredis';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvDto } from '../config/env.dto';
import { WorkerHeartbeat } from './worker-heartbeat';

describe('WorkerHeartbeat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-heartbeat-'));
  const file = join(dir, 'worker.alive');
  const env = (path?: string) => Object.assign(new EnvDto(), { WORKER_HEARTBEAT_FILE: path });
  const redis = (ping: () => Promise<string>) => ({ ping }) as unknown as Redis;

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the file while Redis answers, and removes it when the worker stops', async () => {
    const heartbeat = new WorkerHeartbeat(
      env(file),
      redis(() => Promise.resolve('PONG')),
    );
    await heartbeat.onApplicationBootstrap();
    expect(Date.parse(readFileSync(file, 'utf8').trim())).toBeGreaterThan(Date.now() - 5000);
    const first = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await heartbeat.beat()).toBe(true);
    expect(statSync(file).mtimeMs).toBeGreaterThan(first);
    await heartbeat.onApplicationShutdown();
    expect(existsSync(file)).toBe(false);
  });

  it('leaves the file stale when Redis does not answer', async () => {
    const heartbeat = new WorkerHeartbeat(
      env(file),
      redis(() => Promise.reject(new Error('Connection is closed.'))),
    );
    expect(await heartbeat.beat()).toBe(false);
    expect(existsSync(file)).toBe(false);
    await heartbeat.onApplicationShutdown();
  });

  it('does nothing without WORKER_HEARTBEAT_FILE', async () => {
    const ping = jest.fn(() => Promise.resolve('PONG'));
    const heartbeat = new WorkerHeartbeat(env(undefined), redis(ping));
    await heartbeat.onApplicationBootstrap();
    expect(await heartbeat.beat()).toBe(false);
    expect(ping).not.toHaveBeenCalled();
    await heartbeat.onApplicationShutdown();
  });
});
