import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { spawn } from 'node:child_process';
import { HttpClient } from '../helpers/http-client';

/** Every generated line is this long, newline included: 1 GiB holds 10,737,418 of them. */
export const LINE_BYTES = 100;
export const GIB = 1024 ** 3;

/** Digits of the line number that opens every line. */
const NUMBER_DIGITS = 10;
const LINES_PER_BLOCK = 40_000;

/** A block of LINES_PER_BLOCK lines: a number field left zero (filled per block), then CSV fields. */
function template(): Buffer {
  const lines: string[] = [];
  for (let j = 0; j < LINES_PER_BLOCK; j++) {
    const fields = `${'0'.repeat(NUMBER_DIGITS)},customer-${j % 9973},${((j * 7.31) % 100_000).toFixed(2)},2026-${String((j % 12) + 1).padStart(2, '0')}-${String((j % 28) + 1).padStart(2, '0')},`;
    lines.push(`${fields.padEnd(LINE_BYTES - 1, 'x')}\n`);
  }
  return Buffer.from(lines.join(''), 'latin1');
}

/**
 * Writes a CSV of `bytes` bytes (the last line cut short) made of numbered LINE_BYTES lines, one
 * 4 MB block at a time (only the line numbers change between blocks), so it takes seconds and
 * never holds the file.
 */
export async function writeBigFile(path: string, bytes = GIB): Promise<{ bytes: number; lines: number }> {
  const block = template();
  const out = createWriteStream(path);
  let written = 0;
  let first = 0;
  while (written < bytes) {
    const next = Buffer.from(block);
    for (let j = 0; j < LINES_PER_BLOCK; j++) {
      let n = first + j;
      for (let d = NUMBER_DIGITS - 1; d >= 0 && n > 0; d--, n = Math.floor(n / 10)) {
        next[j * LINE_BYTES + d] = 0x30 + (n % 10);
      }
    }
    const part = written + next.length > bytes ? next.subarray(0, bytes - written) : next;
    written += part.length;
    first += LINES_PER_BLOCK;
    if (!out.write(part)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes: written, lines: Math.ceil(written / LINE_BYTES) };
}

/** Runs a command to its end; rejects with its stderr when it fails. */
export function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`${command} exited with ${code}: ${Buffer.concat(err).toString('utf8').slice(0, 500)}`));
    });
  });
}

/**
 * Uploads a file to a local_file connector with curl, which streams it from disk in its own
 * process (the benchmark holds no copy, and the client does not share the API's event loop).
 * Resolves with the seconds the request took.
 */
export async function uploadWithCurl(
  http: HttpClient,
  token: string,
  connectorId: string,
  path: string,
): Promise<number> {
  const started = process.hrtime.bigint();
  const answer = await run('curl', [
    '--silent',
    '--show-error',
    '--fail-with-body',
    '-X',
    'POST',
    '-T',
    path,
    '-H',
    `authorization: Bearer ${token}`,
    '-H',
    'content-type: text/csv',
    // No 100-continue round trip: the client sends the body at once, like most clients.
    '-H',
    'expect:',
    `${http.baseUrl}/api/v1/connectors/${connectorId}/upload?fileName=big.csv`,
  ]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const body = JSON.parse(answer) as { status?: string };
  if (body.status !== 'active') throw new Error(`upload did not activate the connector: ${answer.slice(0, 300)}`);
  return seconds;
}
