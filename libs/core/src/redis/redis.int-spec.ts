import { createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';
import type { EnvDto } from '../config/env.dto';
import { createRedis } from './redis';

/** Waits for `predicate` to hold, checking every 20 ms, failing after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('createRedis: connection errors', () => {
  let proxy: Server;
  const sockets = new Set<Socket>();
  let accepting = true;

  beforeAll(async () => {
    // A TCP proxy to the local Redis that can drop every connection and refuse new ones.
    proxy = createServer((client) => {
      if (!accepting) return client.destroy();
      const upstream = new Socket();
      upstream.connect(6379, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  });

  it('warns once per reason through the logger while Redis is away, and says when it is back', async () => {
    const port = (proxy.address() as AddressInfo).port;
    const lines: { level: string; text: string }[] = [];
    const logger = {
      warn: (text: string) => lines.push({ level: 'warn', text }),
      log: (text: string) => lines.push({ level: 'log', text }),
    };
    const unhandled: unknown[] = [];
    const onUncaught = (e: unknown) => unhandled.push(e);
    process.on('uncaughtException', onUncaught);
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'sluice:redis-spec' } as EnvDto;
    const client = createRedis(env, logger);
    try {
      await until(() => client.status === 'ready');
      expect(await client.ping()).toBe('PONG');

      // Redis goes away: every connection dropped, new ones refused while the client retries.
      let reconnects = 0;
      client.on('reconnecting', () => reconnects++);
      accepting = false;
      for (const s of sockets) s.destroy();
      // Several reconnect attempts fail with the same reason; it is said once.
      await until(() => reconnects >= 4, 10_000);
      const warnings = lines.filter((l) => l.level === 'warn');
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(new Set(warnings.map((w) => w.text)).size).toBe(warnings.length);
      expect(warnings[0].text).toMatch(/^Redis connection error \(the client keeps reconnecting\): /);

      accepting = true;
      await until(() => lines.some((l) => l.text === 'Redis connection restored'), 10_000);
      expect(await client.ping()).toBe('PONG');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      client.disconnect();
    }
  });
});
