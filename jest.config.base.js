/**
 * Shared jest config. Each package's jest.config.js re-exports it, so rootDir is the package.
 * Tests run against source: the "@kvmdev/source" export condition sends workspace imports to
 * src/index.ts, and relative ".js" specifiers are mapped back to the ".ts" files. swc only
 * strips types; `tsc -b` (the typecheck task) is the type gate.
 * @type {import('jest').Config}
 */
const config = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@kvmdev/source', 'node', 'require', 'default'],
  },
  testMatch: ['<rootDir>/{src,test}/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.tsbuild/'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        sourceMaps: 'inline',
      },
    ],
  },
};

export default config;
