// ESLint rule `sluice/public-faces`: code reaches a lib only through that lib's public face,
// `@sluice/<lib>` (its src/index.ts). A path below it (`@sluice/<lib>/<file>`) is the lib's own
// business: inside the lib, relative imports are used instead. Test code (test/ and *.spec.ts
// files) has one more door, `@sluice/<lib>/testing` (src/testing.ts), which names the entities,
// repositories and parts the harness seeds, inspects or drives directly; nothing else may use it.
const { dirname, relative, resolve, sep } = require('node:path');

const ROOT = require('node:path').join(__dirname, '..', '..');
const DEEP = /^@sluice\/([a-z0-9-]+)\/(.+)$/;
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;

/** The lib (or `apps`, `test`) a file belongs to, or null when the rule does not apply to it. */
function ownerOf(filename) {
  const parts = relative(ROOT, filename).split(sep);
  if (parts[0] === 'apps') return 'apps';
  if (parts[0] === 'test') return 'test';
  if (parts[0] === 'libs' && parts[1]) return parts[1];
  return null;
}

/** For a relative import from outside a lib that lands in libs/<lib>/src: that lib and the path. */
function libFileOf(filename, specifier) {
  if (!specifier.startsWith('.')) return null;
  const parts = relative(ROOT, resolve(dirname(filename), specifier)).split(sep);
  if (parts[0] !== 'libs' || parts[2] !== 'src' || !parts[1]) return null;
  return { lib: parts[1], path: parts.slice(3).join('/') };
}

/** @type {import('eslint').Rule.RuleModule} */
const publicFaces = {
  meta: {
    type: 'problem',
    docs: { description: "Import another lib only through its public face, '@sluice/<lib>'" },
    schema: [],
    messages: {
      deep:
        "'{{specifier}}' reaches into the internals of lib '{{lib}}'. Import from '@sluice/{{lib}}' " +
        'and, if the name is missing there, decide whether it belongs to the public face (libs/{{lib}}/src/index.ts).',
      self: "'{{specifier}}' imports this lib through its alias: use a relative path inside a lib.",
      testing: "'{{specifier}}' is the test harness's door into lib '{{lib}}': only test code may use it.",
      relative:
        "'{{specifier}}' reaches into lib '{{lib}}' by a relative path: import from '@sluice/{{lib}}' " +
        "(or, in test code, '@sluice/{{lib}}/testing').",
    },
  },
  create(context) {
    const owner = ownerOf(context.filename);
    if (!owner) return {};
    const testCode = owner === 'test' || TEST_FILE.test(context.filename);
    const check = (node) => {
      const source = node && node.source;
      if (!source || typeof source.value !== 'string') return;
      const specifier = source.value;
      const report = (messageId, lib) => context.report({ node: source, messageId, data: { specifier, lib } });
      const match = DEEP.exec(specifier);
      const bare = /^@sluice\/([a-z0-9-]+)$/.exec(specifier);
      if ((bare && bare[1] === owner) || (match && match[1] === owner)) return report('self', owner);
      if (match && match[2] === 'testing') return testCode ? undefined : report('testing', match[1]);
      if (match) return report('deep', match[1]);
      const landed = owner === 'apps' || owner === 'test' ? libFileOf(context.filename, specifier) : null;
      if (landed) report('relative', landed.lib);
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
      CallExpression(node) {
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'require' &&
          node.arguments[0]?.type === 'Literal'
        ) {
          check({ source: node.arguments[0] });
        }
      },
    };
  },
};

module.exports = { rules: { 'public-faces': publicFaces } };
