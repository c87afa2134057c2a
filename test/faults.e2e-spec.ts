import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp, TestApp } from './helpers/test-app';
import { databaseName, PG_ADMIN_URL, query } from './helpers/test-env';

/** Faults of the platform's own dependencies, injected while requests are running. */
describe('faults (e2e)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '1000000' }, { captureLogs: true });
    token = await t.http.login('admin@acme.test', 'acme-admin-password');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  /** Ends every PostgreSQL backend the app holds on its database. */
  const killBackends = () =>
    query<{ killed: boolean }>(
      PG_ADMIN_URL,
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [databaseName(t.env.DATABASE_URL!)],
    );

  it('answers requests cut by killed PostgreSQL backends with a clean 503, and the next ones succeed', async () => {
    const statuses: Array<{ status: number; code?: string }> = [];
    let running = true;
    const load = Array.from({ length: 4 }, async () => {
      while (running) {
        const res = await t.http.get('/api/v1/connectors?limit=5', { token });
        statuses.push({ status: res.status, code: res.body?.code });
      }
    });
    let killed = 0;
    for (let round = 0; round < 5; round++) {
      await sleep(100);
      killed += (await killBackends()).length;
    }
    running = false;
    await Promise.all(load);

    expect(killed).toBeGreaterThan(0);
    const bad = statuses.filter((s) => s.status !== 200 && !(s.status === 503 && s.code === 'DATABASE_UNAVAILABLE'));
    expect({
      bad,
      errors: bad.length ? t.logs.filter((l) => l.includes('"level":"error"')).map((l) => l.slice(0, 700)) : [],
    }).toEqual({ bad: [], errors: [] });
    // The pool replaces what was killed: the very next requests succeed.
    for (let i = 0; i < 10; i++) expect((await t.http.get('/api/v1/connectors?limit=5', { token })).status).toBe(200);
    expect((await t.http.get('/health/ready')).status).toBe(200);
  }, 60_000);
});
