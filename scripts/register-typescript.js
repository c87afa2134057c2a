// Lets plain Node run the TypeScript sources (apps, libs, test helpers) the way Jest does: each
// .ts file is compiled with swc when required, and `@sluice/<lib>[/path]` resolves to
// libs/<lib>/src[/path], as in tsconfig.json. Used by the benchmarks and by the SQL guard's worker
// thread when the guard itself runs from sources (tests); the built apps never load it.
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');
const { swcOptions } = require('./swc-options');

const root = join(__dirname, '..');
const ALIAS = /^@sluice\/([a-z0-9-]+)(?:\/(.*))?$/;

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const alias = ALIAS.exec(request);
  const target = alias ? join(root, 'libs', alias[1], 'src', alias[2] ?? 'index') : request;
  return resolveFilename.call(this, target, ...rest);
};

Module._extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swcOptions, filename, sourceMaps: 'inline' });
  module._compile(code, filename);
};
