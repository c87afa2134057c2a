#!/usr/bin/env node
// Builds dist/ when it is missing or older than any source file, so `npm start` works on a
// fresh clone and stays fast afterwards.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
// tsc builds incrementally and leaves unchanged outputs alone, so a stamp file marks a build.
const marker = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sources = ['apps', 'libs'].map((d) => newestSource(join(root, d)));
const configs = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'].map(
  (f) => statSync(join(root, f)).mtimeMs,
);
const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
if (built < Math.max(...sources, ...configs)) {
  process.stdout.write('Building Sluice...\n');
  // `npm run build` writes the stamp.
  execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
}
