// Lets a worker thread load the guard from its TypeScript sources (tests, ts-node style runs):
// compiles .ts with swc on require and maps the @sluice/<lib> aliases of tsconfig.json. The
// built app never loads this file; its worker is plain JavaScript in dist/.
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const root = join(__dirname, '..', '..', '..', '..', '..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const alias = /^@sluice\/([a-z0-9-]+)(?:\/(.*))?$/.exec(request);
  if (alias) request = join(root, 'libs', alias[1], 'src', alias[2] ?? 'index');
  return resolve.call(this, request, ...rest);
};

const options = (filename) => ({
  filename,
  sourceMaps: 'inline',
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
});

// The loader hook Node still honours for CommonJS (what ts-node and friends use).
Module._extensions['.ts'] = (module, filename) => {
  module._compile(transformSync(readFileSync(filename, 'utf8'), options(filename)).code, filename);
};
