// Jest compiles TypeScript with swc, and NestJS 12's ESM-only packages to CommonJS (see PITFALLS).
const { swcOptions } = require('./scripts/swc-options');

const transform = { '^.+\\.(t|j)s$': ['@swc/jest', swcOptions] };
const common = {
  transform,
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|@bull-board|@apidevtools)/)'],
  moduleNameMapper: {
    '^@sluice/core$': '<rootDir>/libs/core/src',
    '^@sluice/core/(.*)$': '<rootDir>/libs/core/src/$1',
    '^@sluice/auth$': '<rootDir>/libs/auth/src',
    '^@sluice/auth/(.*)$': '<rootDir>/libs/auth/src/$1',
    '^@sluice/connectors$': '<rootDir>/libs/connectors/src',
    '^@sluice/documents$': '<rootDir>/libs/documents/src',
    '^@sluice/documents/(.*)$': '<rootDir>/libs/documents/src/$1',
    '^@sluice/connectors/(.*)$': '<rootDir>/libs/connectors/src/$1',
    '^@sluice/schema$': '<rootDir>/libs/schema/src',
    '^@sluice/schema/(.*)$': '<rootDir>/libs/schema/src/$1',
    '^@sluice/examples$': '<rootDir>/libs/examples/src',
    '^@sluice/examples/(.*)$': '<rootDir>/libs/examples/src/$1',
    '^@sluice/history$': '<rootDir>/libs/history/src',
    '^@sluice/history/(.*)$': '<rootDir>/libs/history/src/$1',
    '^@sluice/nl2sql$': '<rootDir>/libs/nl2sql/src',
    '^@sluice/nl2sql/(.*)$': '<rootDir>/libs/nl2sql/src/$1',
    '^@sluice/sdk$': '<rootDir>/libs/sdk/src',
  },
  testEnvironment: 'node',
  rootDir: __dirname,
};
module.exports = {
  // A global option: inside a project entry Jest ignores it.
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/validate-sdk-answers.ts'],
    },
  ],
};
