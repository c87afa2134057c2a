import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Browser, chromium } from 'playwright-core';

/** Flags for a headless browser on a machine with no network beyond loopback. */
const QUIET_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface BrowserBinary {
  executablePath: string;
  args: string[];
  /** Where it came from, for the test's log. */
  source: 'CHROMIUM_PATH' | 'debian' | 'npm';
}

/**
 * The Chromium the e2e tests drive: `CHROMIUM_PATH` when set, Debian's `/usr/bin/chromium` when
 * installed, otherwise the build that `@sparticuz/chromium` ships inside its npm package, so that
 * `npm install && npm test` needs nothing installed by hand.
 */
export async function findChromium(): Promise<BrowserBinary> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return { executablePath: fromEnv, args: QUIET_ARGS, source: 'CHROMIUM_PATH' };
  }
  if (existsSync('/usr/bin/chromium')) {
    return { executablePath: '/usr/bin/chromium', args: QUIET_ARGS, source: 'debian' };
  }
  // The package's own flag list is for AWS Lambda (`--single-process`, `--disable-web-security`,
  // ...): a single-process browser dies when a test closes one of several contexts, and the
  // dashboard tests need the web security they check. Its binary runs with ours.
  return { executablePath: await unpackNpmChromium(), args: QUIET_ARGS, source: 'npm' };
}

/** Launches the browser found by {@link findChromium}. */
export async function launchChromium(): Promise<Browser> {
  const binary = await findChromium();
  return chromium.launch({ executablePath: binary.executablePath, args: binary.args });
}

/**
 * Unpacks the npm build once per version into the temp directory. The package writes into
 * `os.tmpdir()` and trusts any file already there, so two test runs at once could see a half
 * written binary: each unpacks into a private directory (a child process with its own `TMPDIR`,
 * since Jest's `process.env` does not reach `os.tmpdir()`), and the first to finish renames it
 * into place (a rename is atomic; the loser discards its copy).
 */
async function unpackNpmChromium(): Promise<string> {
  const entry = require.resolve('@sparticuz/chromium');
  const packageJson = join(dirname(entry), '..', '..', 'package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  const home = join(tmpdir(), `sluice-chromium-${version}`);
  const binary = join(home, 'chromium');
  if (existsSync(binary)) return binary;
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-chromium-unpack-'));
  const script = `require(${JSON.stringify(entry)}).executablePath().then((p) => process.stdout.write(p))`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    env: { ...process.env, TMPDIR: scratch },
    timeout: 120_000,
  });
  if (stdout !== join(scratch, 'chromium')) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`@sparticuz/chromium unpacked to ${stdout}, expected ${join(scratch, 'chromium')}`);
  }
  try {
    renameSync(scratch, home);
  } catch {
    // Another run finished first; its copy is complete.
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}
