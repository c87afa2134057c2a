#!/usr/bin/env node
// Runs before the test suites: each service they need is asked a real question (not just a
// port knock), and a missing one is named with how to start it, instead of a cascade of
// unrelated failures minutes later.
const { Client } = require('pg');
const Redis = require('ioredis');
const mysql = require('mysql2/promise');
const { setTimeout } = require('node:timers');

const TIMEOUT_MS = 5000;

const services = [
  {
    name: 'PostgreSQL',
    where: 'postgresql://postgres@127.0.0.1:5432/postgres',
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    async probe() {
      const client = new Client({
        connectionString: this.where,
        connectionTimeoutMillis: TIMEOUT_MS,
      });
      await client.connect();
      try {
        await client.query('SELECT 1');
      } finally {
        await client.end();
      }
    },
  },
  {
    name: 'Redis',
    where: 'redis://127.0.0.1:6379',
    start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    async probe() {
      const redis = new Redis(this.where, {
        lazyConnect: true,
        connectTimeout: TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      let lastError;
      redis.on('error', (error) => {
        lastError = error;
      });
      try {
        await redis.connect().catch((error) => {
          throw lastError ?? error;
        });
        await redis.ping();
      } finally {
        redis.disconnect();
      }
    },
  },
  {
    name: 'MariaDB/MySQL',
    where: 'mysql://root@127.0.0.1:3306 (empty password)',
    start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
    async probe() {
      const conn = await mysql.createConnection({
        host: '127.0.0.1',
        port: 3306,
        user: 'root',
        password: '',
        connectTimeout: TIMEOUT_MS,
      });
      try {
        await conn.query('SELECT 1');
      } finally {
        await conn.end();
      }
    },
  },
];

async function main() {
  const results = await Promise.all(
    services.map(async (s) => {
      try {
        await Promise.race([
          s.probe(),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref(),
          ),
        ]);
        return { service: s, error: null };
      } catch (error) {
        return { service: s, error };
      }
    }),
  );
  const missing = results.filter((r) => r.error);
  if (missing.length === 0) {
    process.stdout.write(`Services ready: ${services.map((s) => s.name).join(', ')}\n`);
    return;
  }
  const lines = ['The test suites need these services, which did not answer:'];
  for (const { service, error } of missing) {
    lines.push(`  - ${service.name} at ${service.where}: ${error.message || error.code || String(error)}`);
    lines.push(`      start it with: ${service.start}`);
  }
  lines.push('Nothing was run. Start the services above, then run the tests again.');
  process.stderr.write(lines.join('\n') + '\n');
  process.exit(1);
}

main().catch((error) => {
  process.stderr.write(`Service check failed: ${error.stack || error}\n`);
  process.exit(1);
});
