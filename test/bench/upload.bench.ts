import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, TestApp } from '../helpers/test-app';
import { createConnector } from './api-app';
import { BenchmarkResult, envInteger, measure } from './benchmark';
import { GIB, run as exec, uploadWithCurl, writeBigFile } from './big-file';

export const name = 'upload';
export const description =
  'a 1 GiB CSV uploaded to a local_file connector (streamed by curl from disk), MB/s, beside cp of the same file then sync on the same disk';

const MB = 1e6;

/** Seconds to copy `from` to `to` and flush it to disk: what storing a file costs with no API. */
async function copyAndSync(from: string, to: string): Promise<number> {
  const started = process.hrtime.bigint();
  await exec('cp', [from, to]);
  await exec('sync', []);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(to, { force: true });
  return seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run(): Promise<BenchmarkResult> {
  const bytes = envInteger('BENCH_UPLOAD_BYTES', GIB);
  const rounds = envInteger('BENCH_UPLOAD_ROUNDS', 3);
  // Everything on one disk: the source file, the copies and the app's storage.
  const base = mkdtempSync(join(tmpdir(), 'sluice-bench-upload-'));
  const storage = join(base, 'storage');
  const copies = join(base, 'copies');
  mkdirSync(storage);
  mkdirSync(copies);
  const source = join(base, 'big.csv');
  let app: TestApp | undefined;
  try {
    const file = await writeBigFile(source, bytes);
    app = await startTestApp({ STORAGE_DIR: storage, MAX_UPLOAD_BYTES: String(2 * bytes) });
    const token = await app.http.login('admin@acme.test', 'acme-admin-password');
    const id = await createConnector(app, token, {
      name: 'Big CSV',
      type: 'local_file',
      config: { fileName: 'big.csv' },
    });

    // Alternated, so a disk or machine that slows down during the run weighs on both sides.
    const copySeconds: number[] = [];
    const uploadSeconds: number[] = [];
    for (let round = 0; round < rounds; round++) {
      copySeconds.push(await copyAndSync(source, join(copies, `copy-${round}.csv`)));
      uploadSeconds.push(await uploadWithCurl(app.http, token, id, source));
      // The upload's own fsync covers its file; this flushes anything else before the next copy.
      await exec('sync', []);
    }
    const upload = file.bytes / MB / median(uploadSeconds);
    const copy = file.bytes / MB / median(copySeconds);
    return {
      measures: [
        measure({
          what: `POST /connectors/{id}/upload of ${(file.bytes / GIB).toFixed(2)} GiB, median of ${rounds}`,
          unit: 'MB/s',
          figure: upload,
          baseline: { what: 'cp + sync of the same file, same disk', figure: copy },
          target: '≥ 33% of the baseline',
          met: (figure, baseline) => figure >= 0.33 * baseline,
        }),
      ],
      details: {
        bytes: file.bytes,
        lines: file.lines,
        uploadSeconds: uploadSeconds.map((s) => Math.round(s * 1000) / 1000),
        copySeconds: copySeconds.map((s) => Math.round(s * 1000) / 1000),
      },
    };
  } finally {
    await app?.close();
    rmSync(base, { recursive: true, force: true });
  }
}
