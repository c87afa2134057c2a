// How TypeScript is compiled outside the build (Jest, the benchmarks, the guard's worker when it
// runs from sources): one set of swc options, the same decorators and metadata Nest needs.
const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
};

module.exports = { swcOptions };
