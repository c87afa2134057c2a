// Writes the SDK's types (libs/sdk/src/generated/schema.ts) from the committed openapi.json with
// openapi-typescript, formatted with the repository's Prettier settings so the file is stable.
//   node scripts/generate-sdk.js           regenerate (npm run sdk)
//   node scripts/generate-sdk.js --check   exit 1 when the committed file differs (npm run sdk:check)
const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const SPEC = join(ROOT, 'openapi.json');
const TARGET = join(ROOT, 'libs', 'sdk', 'src', 'generated', 'schema.ts');

async function generate() {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const prettier = await import('prettier');
  // A property with a default is optional to send; left on, openapi-typescript would make it required in request bodies.
  const ast = await openapiTS(JSON.parse(readFileSync(SPEC, 'utf8')), { defaultNonNullable: false });
  const header =
    '// Generated from openapi.json by openapi-typescript (npm run sdk). Do not edit by hand.\n' +
    '/* eslint-disable */\n';
  const options = (await prettier.resolveConfig(TARGET)) ?? {};
  return prettier.format(header + astToString(ast), { ...options, filepath: TARGET });
}

async function main() {
  const check = process.argv.includes('--check');
  const text = await generate();
  const name = relative(ROOT, TARGET);
  if (!check) {
    mkdirSync(dirname(TARGET), { recursive: true });
    writeFileSync(TARGET, text);
    process.stdout.write(`wrote ${name}\n`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(TARGET, 'utf8');
  } catch {
    // Missing counts as drift, reported below.
  }
  if (committed !== text) {
    const a = committed.split('\n');
    const b = text.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    process.stderr.write(
      `${name} is not what openapi.json generates (first difference at line ${line + 1}).\n` +
        'Run `npm run sdk` and commit the result.\n',
    );
    process.exit(1);
  }
  process.stdout.write(`${name} matches openapi.json\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
