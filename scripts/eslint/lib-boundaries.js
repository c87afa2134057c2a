// ESLint rule `sluice/public-faces`: code in apps/ and libs/ reaches another lib only through that
// lib's public face, `@sluice/<lib>` (its src/index.ts). A path below it (`@sluice/<lib>/<file>`)
// is the lib's own business: inside the lib, relative imports are used instead. The test harness
// in test/ is outside apps/ and libs/ and may reach internals to set up and inspect state.
const { relative, sep } = require('node:path');

const ROOT = require('node:path').join(__dirname, '..', '..');
const DEEP = /^@sluice\/([a-z0-9-]+)\/(.+)$/;

/** The lib (or `apps`) a file belongs to, or null when the rule does not apply to it. */
function ownerOf(filename) {
  const parts = relative(ROOT, filename).split(sep);
  if (parts[0] === 'apps') return 'apps';
  if (parts[0] === 'libs' && parts[1]) return parts[1];
  return null;
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
    },
  },
  create(context) {
    const owner = ownerOf(context.filename);
    if (!owner) return {};
    const check = (node) => {
      const source = node && node.source;
      if (!source || typeof source.value !== 'string') return;
      const match = DEEP.exec(source.value);
      const bare = /^@sluice\/([a-z0-9-]+)$/.exec(source.value);
      if (bare && bare[1] === owner) {
        context.report({ node: source, messageId: 'self', data: { specifier: source.value } });
      } else if (match && match[1] === owner) {
        context.report({ node: source, messageId: 'self', data: { specifier: source.value } });
      } else if (match) {
        context.report({ node: source, messageId: 'deep', data: { specifier: source.value, lib: match[1] } });
      }
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
