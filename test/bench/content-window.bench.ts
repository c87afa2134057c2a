import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createConnector } from './api-app';
import { BenchmarkResult, envInteger, measure, percentile } from './benchmark';
import { GIB, uploadWithCurl, writeBigFile } from './big-file';

export const name = 'content-window';
export const description =
  '100 lines at line 10,000,000 of an uploaded 1 GiB CSV (GET /connectors/{id}/content), beside 100 lines at line 0 of the same file';

const DEEP_LINE = 10_000_000;
const LIMIT = 100;

export async function run(): Promise<BenchmarkResult> {
  const samples = envInteger('BENCH_CONTENT_SAMPLES', 40);
  const base = mkdtempSync(join(tmpdir(), 'sluice-bench-content-'));
  const storage = join(base, 'storage');
  mkdirSync(storage);
  const source = join(base, 'big.csv');
  let app: TestApp | undefined;
  try {
    const file = await writeBigFile(source, GIB);
    if (file.lines < DEEP_LINE + LIMIT) throw new Error(`the file has only ${file.lines} lines`);
    app = await startTestApp({ STORAGE_DIR: storage, MAX_UPLOAD_BYTES: String(2 * GIB) });
    const token = await app.http.login('admin@acme.test', 'acme-admin-password');
    const id = await createConnector(app, token, {
      name: 'Big CSV',
      type: 'local_file',
      config: { fileName: 'big.csv' },
    });
    await uploadWithCurl(app.http, token, id, source);
    rmSync(source);

    const window = async (offset: number): Promise<number> => {
      const started = process.hrtime.bigint();
      const res = await app!.http.get(`/api/v1/connectors/${id}/content?offset=${offset}&limit=${LIMIT}`, { token });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (res.status !== 200) throw new Error(`content at line ${offset}: ${res.status} ${res.text.slice(0, 300)}`);
      // The right lines, not only a fast answer: each line opens with its own number.
      const lines = (res.body.content as string).split('\n');
      if (lines.length !== LIMIT || Number(lines[0].slice(0, 10)) !== offset) {
        throw new Error(`content at line ${offset} starts with "${lines[0].slice(0, 20)}" (${lines.length} lines)`);
      }
      return ms;
    };
    // Warm-up: the first requests pay for compiling the route's code paths.
    for (let i = 0; i < 5; i++) {
      await window(0);
      await window(DEEP_LINE);
    }
    // Alternated, so anything else slowing the machine weighs on both.
    const top: number[] = [];
    const deep: number[] = [];
    for (let i = 0; i < samples; i++) {
      top.push(await window(0));
      deep.push(await window(DEEP_LINE));
    }
    const deepMedian = percentile(deep, 50);
    const topMedian = percentile(top, 50);
    return {
      measures: [
        measure({
          what: `GET /connectors/{id}/content, ${LIMIT} lines at line ${DEEP_LINE.toLocaleString('en')} of 1 GiB, median of ${samples}`,
          unit: 'ms',
          figure: deepMedian,
          baseline: { what: `${LIMIT} lines at line 0`, figure: topMedian },
          target: 'ratio ≤ 2',
          met: (figure, baseline) => figure <= 2 * baseline,
        }),
      ],
      details: {
        fileBytes: file.bytes,
        fileLines: file.lines,
        deepMs: { p50: deepMedian, p90: percentile(deep, 90), max: Math.max(...deep) },
        topMs: { p50: topMedian, p90: percentile(top, 90), max: Math.max(...top) },
      },
    };
  } finally {
    await app?.close();
    rmSync(base, { recursive: true, force: true });
  }
}
