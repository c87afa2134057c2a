#!/usr/bin/env node
// `npm run bench` runs every benchmark of test/bench/ (files *.bench.ts);
// `npm run bench -- load` runs the one named `load`. See README, "Benchmarks".
require('../../scripts/register-typescript');
const { main } = require('./runner.ts');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
