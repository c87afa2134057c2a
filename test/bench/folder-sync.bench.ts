import type { INestApplicationContext } from '@nestjs/common';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually';
import { startTestApp, TestApp } from '../helpers/test-app';
import { startTestWorker } from '../helpers/test-worker';
import { BenchmarkResult, envInteger, measure } from './benchmark';

export const name = 'folder-sync';
export const description =
  '100,000 small files in nested folders synced into documents by a folder connector and the real worker (files/s), beside a recursive readdir + stat walk of the same tree';

const EXTENSIONS = ['txt', 'json', 'md', 'log'];

/** `files` small files under root/dNN/sNN/, about a thousand per folder. */
function writeTree(root: string, files: number): void {
  const perFolder = 1000;
  const folders = Math.ceil(files / perFolder);
  let written = 0;
  for (let f = 0; f < folders; f++) {
    const dir = join(root, `d${String(Math.floor(f / 10)).padStart(2, '0')}`, `s${String(f % 10).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perFolder && written < files; i++, written++) {
      writeFileSync(join(dir, `file-${i}.${EXTENSIONS[i % EXTENSIONS.length]}`), `file ${written}\n`);
    }
  }
}

/** The baseline: every regular file under `dir` with its stats, folders read one at a time. */
async function walk(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  let count = 0;
  const files = entries.filter((e) => e.isFile());
  const stats = await Promise.all(files.map((e) => stat(join(dir, e.name))));
  count += stats.filter((s) => s.isFile()).length;
  for (const entry of entries) if (entry.isDirectory()) count += await walk(join(dir, entry.name));
  return count;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export async function run(): Promise<BenchmarkResult> {
  const files = envInteger('BENCH_FOLDER_FILES', 100_000);
  const base = mkdtempSync(join(tmpdir(), 'sluice-bench-folder-'));
  const root = join(base, 'tree');
  let app: TestApp | undefined;
  let worker: INestApplicationContext | undefined;
  try {
    const generated = await timed(async () => writeTree(root, files));
    app = await startTestApp({ FOLDER_ALLOWED_ROOTS: root, STORAGE_DIR: join(base, 'storage') });
    worker = await startTestWorker(app.env);
    const token = await app.http.login('admin@acme.test', 'acme-admin-password');
    const created = await app.http.post(
      '/api/v1/connectors',
      { name: 'Tree', type: 'folder', config: { path: root, maxFiles: files } },
      { token },
    );
    if (created.status !== 201) throw new Error(`create the connector: ${created.status} ${created.text}`);
    const id = created.body.id as string;

    // The walk twice: the first warms the kernel's caches the sync then also finds warm.
    await walk(root);
    const baseline = await timed(() => walk(root));
    if (baseline.value !== files) throw new Error(`the walk found ${baseline.value} files, not ${files}`);

    const sync = async (): Promise<{ seconds: number; run: Record<string, any> }> => {
      const started = process.hrtime.bigint();
      const res = await app!.http.post(`/api/v1/connectors/${id}/sync`, undefined, { token });
      if (res.status !== 202) throw new Error(`start the sync: ${res.status} ${res.text}`);
      const finished = await eventually(
        async () => (await app!.http.get(`/api/v1/connectors/${id}/runs/${res.body.id}`, { token })).body,
        (r) => ['succeeded', 'failed', 'cancelled'].includes(r?.status),
        600_000,
        { intervalMs: 50, what: 'the sync to finish' },
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (finished.status !== 'succeeded') throw new Error(`the sync ${finished.status}: ${finished.error}`);
      return { seconds, run: finished };
    };
    const first = await sync();
    if (first.run.progress.created !== files) {
      throw new Error(`the sync created ${first.run.progress.created} documents, not ${files}`);
    }
    // A second sync of the unchanged tree: every document found and stamped, none rewritten.
    const again = await sync();
    const rate = files / first.seconds;
    const walkRate = files / baseline.seconds;
    return {
      measures: [
        measure({
          what: `first sync of ${files.toLocaleString('en')} files into documents (POST /sync to succeeded)`,
          unit: 'files/s',
          figure: rate,
          baseline: { what: 'recursive readdir + stat walk in Node', figure: walkRate },
          target: '≥ 33% of the baseline',
          met: (figure, base) => figure >= 0.33 * base,
        }),
      ],
      details: {
        files,
        generateSeconds: Math.round(generated.seconds * 100) / 100,
        walkSeconds: Math.round(baseline.seconds * 1000) / 1000,
        firstSyncSeconds: Math.round(first.seconds * 1000) / 1000,
        unchangedSyncSeconds: Math.round(again.seconds * 1000) / 1000,
        unchangedSyncFilesPerSecond: Math.round(files / again.seconds),
      },
    };
  } finally {
    await worker?.close();
    await app?.close();
    rmSync(base, { recursive: true, force: true });
  }
}
