import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT_ROUTES } from '../app/configure-app';
import { EnvDto } from '../config/env.dto';
import { loadEnv } from '../config/load-env';

// No container engine runs where the tests run: the compose file and the Dockerfile are read
// and checked against what the repository and CI actually do.
const ROOT = join(__dirname, '..', '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean; interval?: string; retries?: number };
}

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string;
  instructions: Instruction[];
}

/** Dockerfile instructions by stage, continuation lines joined and comments dropped. */
function dockerStages(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line.startsWith('#') || !line)) continue;
    if (line.startsWith('#')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      logical.push(pending);
      pending = '';
    }
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ from, name: name ?? `stage${stages.length}`, instructions: [] });
    } else stages[stages.length - 1]?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const healthTest = (s: Service) =>
  Array.isArray(s.healthcheck?.test) ? s.healthcheck.test.join(' ') : (s.healthcheck?.test ?? '');

describe('docker/compose.yml', () => {
  const compose = parse(read('docker/compose.yml'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const { services } = compose;

  it('runs postgres, redis, the API and the worker, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    for (const [name, service] of Object.entries(services)) {
      expect([name, service.healthcheck?.disable ?? false]).toEqual([name, false]);
      expect([name, healthTest(service)]).toEqual([name, expect.stringMatching(/\S/)]);
    }
    expect(healthTest(services.postgres)).toMatch(/pg_isready/);
    expect(healthTest(services.redis)).toMatch(/redis-cli.*ping/);
    // The API's check asks for readiness (database and Redis), a route kept outside /api/v1.
    expect(healthTest(services.api)).toContain('/health/ready');
    expect(ROOT_ROUTES).toContain('health/ready');
  });

  it("checks the worker's heartbeat file, the one its environment tells it to write", () => {
    const file = services.worker.environment?.WORKER_HEARTBEAT_FILE;
    expect(file).toMatch(/^\/tmp\//);
    expect(healthTest(services.worker)).toContain(file);
    expect(Object.keys(new EnvDto())).toContain('WORKER_HEARTBEAT_FILE');
  });

  it('keeps data in named volumes: the database, Redis, and the files the API and worker share', () => {
    expect(services.postgres.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(services.redis.volumes).toContain('redis-data:/data');
    expect(services.api.volumes).toContain('sluice-files:/app/.data');
    expect(services.worker.volumes).toContain('sluice-files:/app/.data');
    expect(Object.keys(compose.volumes).sort()).toEqual(['postgres-data', 'redis-data', 'sluice-files']);
  });

  it('starts the API and the worker once their dependencies are healthy, from this repository’s Dockerfile', () => {
    for (const name of ['api', 'worker']) {
      expect(services[name].build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(services[name].depends_on).toMatchObject({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
    expect(existsSync(join(ROOT, 'docker', services.api.build!.context, services.api.build!.dockerfile))).toBe(true);
    // The worker runs the script `npm run start:worker` runs, from the same image.
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:worker']).toContain(services.worker.command!.join(' '));
  });

  it('gives both processes an environment the app accepts, and only variables it reads', () => {
    for (const name of ['api', 'worker']) {
      const environment = services[name].environment!;
      const known = new Set([
        ...Object.keys(new EnvDto()),
        'JWT_SECRET',
        'ENCRYPTION_KEY',
        'DATABASE_URL',
        'ENCRYPTION_OLD_KEYS',
      ]);
      expect(Object.keys(environment).filter((key) => !known.has(key))).toEqual([]);
      expect(environment.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(environment.REDIS_URL).toBe('redis://redis:6379');
      // What an operator would pass: the required secrets, the defaults of `${X:-default}`.
      const given: Record<string, string> = {
        JWT_SECRET: 'x'.repeat(64),
        ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        BOOTSTRAP_ADMIN_PASSWORD: 'a-long-password-of-your-own',
      };
      const resolved = Object.fromEntries(
        Object.entries(environment).map(([key, value]) => [
          key,
          value.replace(
            /\$\{(\w+)(?::\?[^}]*|:-([^}]*))?\}/g,
            (_m, v: string, fallback?: string) => given[v] ?? fallback ?? '',
          ),
        ]),
      );
      expect(() => loadEnv(resolved)).not.toThrow();
    }
  });
});

describe('docker/Dockerfile', () => {
  const stages = dockerStages(read('docker/Dockerfile'));
  const stage = (name: string) => stages.find((s) => s.name === name)!;
  const runtime = stages[stages.length - 1];
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; engines: { node: string } };
  const ci = read('.ci/run');

  it('is multi-stage: a build, the runtime dependencies alone, and a slim runtime', () => {
    expect(stages.map((s) => s.name)).toEqual(['toolchain', 'build', 'runtime-deps', 'runtime']);
    expect(stage('build').from).toBe('toolchain');
    expect(stage('runtime-deps').from).toBe('toolchain');
    // The runtime starts from the plain Node image: no compiler in what ships.
    expect(runtime.from).toBe('${NODE_IMAGE}');
    expect(runs(runtime).join(' ')).not.toMatch(/g\+\+|npm (ci|install)/);
  });

  it('installs and builds with the commands CI runs: npm ci, then the build script of package.json', () => {
    const build = runs(stage('build')).map((r) => r.replace(/^--mount=\S+\s+/, ''));
    expect(build[0]).toBe('npm ci');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(build[1]).toMatch(/^npm run build\b/);
    expect(pkg.scripts.build).toMatch(/nest build/);
    // CI's `npm test` builds with the same script before the tests.
    expect(pkg.scripts.test).toContain('npm run build');
    for (const app of ['api', 'worker', 'cli']) expect(build[1]).toContain(`test -f dist/apps/${app}/src/main.js`);
  });

  it('ships the runtime dependencies from npm ci --omit=dev, and the compiled code from the build', () => {
    expect(runs(stage('runtime-deps')).map((r) => r.replace(/^--mount=\S+\s+/, ''))).toEqual(['npm ci --omit=dev']);
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=runtime-deps /app/node_modules ./node_modules');
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies.some((c) => c.startsWith('--from=build /app/node_modules'))).toBe(false);
  });

  it('copies what the build needs, none of it excluded by .dockerignore', () => {
    const copied = stage('build')
      .instructions.filter((i) => i.keyword === 'COPY')
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const path of ['tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'apps', 'libs', 'scripts']) {
      expect(copied).toContain(path);
    }
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    for (const path of [...copied, 'package.json', 'package-lock.json', '.env.example']) {
      expect([path, ignored.includes(path)]).toEqual([path, false]);
    }
  });

  it('runs as a non-root user, checks its health on /health/live, and starts the API as npm run start:api does', () => {
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    const health = runtime.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    expect(health?.args).toContain('/health/live');
    expect(ROOT_ROUTES).toContain('health/live');
    const cmd = JSON.parse(runtime.instructions.find((i) => i.keyword === 'CMD')!.args) as string[];
    expect(pkg.scripts['start:api']).toContain(cmd.join(' '));
  });

  it('builds on a Node release the engines field of package.json accepts', () => {
    const arg = stages.length ? read('docker/Dockerfile').match(/^ARG NODE_IMAGE=node:(\d+)/m) : null;
    const min = /(\d+)(?:\.(\d+))?/.exec(pkg.engines.node)!;
    expect(Number(arg?.[1])).toBeGreaterThanOrEqual(Number(min[1]));
  });
});
