import { EnvDto } from '@sluice/core';
import { createPino, JsonLogger } from '@sluice/core/testing';
import type { NextFunction, Request, Response } from 'express';
import { Agent, request } from 'node:http';
import pino from 'pino';
import type { FakeOpenAi } from '../helpers/fake-openai';
import { startTestApp, TestApp } from '../helpers/test-app';
import { UNLIMITED_RATES } from './benchmark';

/**
 * The real API for a benchmark of its HTTP path: rate limits raised, and logging as production
 * has it (the default LOG_LEVEL, one JSON line per request) into a discarded sink, so the cost
 * of writing request lines is in the figures while the runner's stdout stays the JSON report.
 */
export async function startBenchApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const level = new EnvDto().LOG_LEVEL;
  const sink = pino.destination({ dest: '/dev/null', sync: true });
  // UNLIMITED_RATES asks for more concurrent questions than the env allows (1,000); none are asked here.
  const rates = { ...UNLIMITED_RATES, NL2SQL_MAX_CONCURRENT_PER_TENANT: '1000' };
  return startTestApp({ ...rates, ...overrides }, { logger: new JsonLogger(createPino(level, sink)) });
}

export interface Answer {
  status: number;
  body: string;
}

/** One request on a keep-alive agent, the whole body read; rejects on a network error. */
export function send(
  agent: Agent,
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${path}`, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface SerialTarget {
  name: string;
  path: string;
  headers?: Record<string, string>;
}

/**
 * Serial latencies (ms), one request in flight at a time on one keep-alive connection. The
 * targets take turns request by request, so a slow spell of the machine weighs on all of them
 * alike and their medians compare.
 */
export async function serialLatencies(
  baseUrl: string,
  targets: SerialTarget[],
  rounds: number,
  warmUp: number,
): Promise<Record<string, number[]>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  try {
    for (let i = 0; i < warmUp + rounds; i++) {
      for (const target of targets) {
        const started = performance.now();
        const answer = await send(agent, baseUrl, target.path, target.headers);
        const elapsed = performance.now() - started;
        if (answer.status !== 200)
          throw new Error(`${target.path} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
        if (i >= warmUp) times[target.name].push(elapsed);
      }
    }
  } finally {
    agent.destroy();
  }
  return times;
}

/**
 * Registers a plain Express GET route on the app's own Express instance, after its middleware
 * (request ids, security headers, CORS, body parsers) and before Nest's not-found handler, so a
 * request to it crosses the same server and middleware but none of Nest's guards, interceptors,
 * pipes or handlers: the floor the API's routes stand on.
 */
export function addBareRoute(app: TestApp, path: string, handler: (req: Request, res: Response) => void): void {
  const express = app.app.getHttpAdapter().getInstance() as {
    router: { stack: Array<{ route?: unknown }> };
    get(path: string, handler: (req: Request, res: Response, next: NextFunction) => void): void;
  };
  express.get(path, handler);
  const stack = express.router.stack;
  const layer = stack.pop()!;
  // Nest adds its not-found and error handlers after the last route: the bare route goes just before them.
  let at = stack.length;
  while (at > 0 && !stack[at - 1].route) at--;
  stack.splice(at, 0, layer);
}

/** Creates a connector through the API as the holder of `token`: its id, or an error naming the answer. */
export async function createConnector(app: TestApp, token: string, body: Record<string, unknown>): Promise<string> {
  const res = await app.http.post('/api/v1/connectors', body, { token });
  if (res.status !== 201) throw new Error(`create the connector ${body.name}: ${res.status} ${res.text.slice(0, 500)}`);
  return res.body.id as string;
}

/** The variables that point the app's LLM at a scripted fake (test/helpers/fake-openai.ts), already started. */
export function scriptedLlm(llm: FakeOpenAi): Record<string, string> {
  return { LLM_PROVIDER: 'openai', LLM_MODEL: 'scripted', LLM_BASE_URL: llm.baseUrl, LLM_API_KEY: 'sk-bench-scripted' };
}

/**
 * A tenant with `count` connectors, alternately a PostgreSQL one with a sealed password and a
 * description, and a file one; created a few at a time (the seed is setup, not the measure).
 */
export async function seedMixedConnectors(app: TestApp, token: string, count: number): Promise<void> {
  const create = (i: number) =>
    createConnector(
      app,
      token,
      i % 2
        ? { name: `Files ${i}`, type: 'local_file', config: { fileName: `f-${i}.csv` } }
        : {
            name: `Warehouse ${i}`,
            type: 'postgresql',
            description: `Regional warehouse number ${i}`,
            config: { host: '127.0.0.1', port: 5432, database: `wh_${i}`, user: 'reader', ssl: { mode: 'disable' } },
            authConfig: { password: `secret-${i}` },
          },
    );
  const parallel = 8;
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, k) => create(i + k)));
  }
}
